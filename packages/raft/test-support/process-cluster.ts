/**
 * Node processes on 127.0.0.1 forming one cluster: every node hosts groups 1..N with all
 * nodes as voters. Started on port 0 and then told each other's ports (no port race);
 * a restarted node binds its old port again and gets its peers on the command line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppliedSequences, readAppliedLog } from './applied-log.ts';
import type { NodeStatus } from './control-protocol.ts';
import { NodeProcessError } from './errors.ts';
import { NodeHandle, type NodeLaunchOptions } from './node-handle.ts';

export type NodeSettings = Omit<
  NodeLaunchOptions,
  'nodeId' | 'dir' | 'voters' | 'groups' | 'secret' | 'logPath' | 'peerPort' | 'peers'
>;

export interface ProcessClusterOptions {
  readonly nodeIds: readonly number[];
  readonly groups: number;
  /** Parent of the nodes' data directories (default: a new temporary directory). */
  readonly root?: string;
  readonly secret?: string;
  readonly settings?: NodeSettings;
}

const pollIntervalMs = 100;

export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  options: { readonly timeoutMs: number; readonly what: string | (() => string) },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      const what = typeof options.what === 'string' ? options.what : options.what();
      throw new NodeProcessError('TIMEOUT', `timed out after ${options.timeoutMs} ms: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

export class ProcessCluster {
  private readonly handles = new Map<number, NodeHandle>();
  private readonly ports = new Map<number, number>();
  readonly secret: string;
  readonly root: string;

  private constructor(private readonly options: ProcessClusterOptions) {
    this.secret = options.secret ?? randomBytes(24).toString('hex');
    this.root = options.root ?? mkdtempSync(join(tmpdir(), 'raft-process-'));
  }

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(options);
    try {
      await Promise.all(options.nodeIds.map((id) => cluster.launch(id, 0)));
      await Promise.all(
        options.nodeIds.map((id) => cluster.handle(id).setPeers(cluster.peersOf(id))),
      );
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get nodeIds(): readonly number[] {
    return this.options.nodeIds;
  }

  get groupIds(): number[] {
    return Array.from({ length: this.options.groups }, (_, i) => i + 1);
  }

  dirOf(id: number): string {
    return join(this.root, `node-${id}`);
  }

  logPathOf(id: number): string {
    return join(this.root, `node-${id}.log`);
  }

  urlOf(id: number): string {
    return `ws://127.0.0.1:${this.ports.get(id)}`;
  }

  /** The running process of a node, if any. */
  node(id: number): NodeHandle | undefined {
    const handle = this.handles.get(id);
    return handle?.alive === true ? handle : undefined;
  }

  handle(id: number): NodeHandle {
    const handle = this.node(id);
    if (handle === undefined)
      throw new NodeProcessError('PROCESS_EXITED', `node ${id} is not running`, {
        retriable: true,
      });
    return handle;
  }

  liveIds(): number[] {
    return this.nodeIds.filter((id) => this.node(id) !== undefined);
  }

  private peersOf(id: number): Map<number, string> {
    return new Map(
      this.nodeIds
        .filter((peer) => peer !== id && this.ports.has(peer))
        .map((peer) => [peer, this.urlOf(peer)]),
    );
  }

  private async launch(id: number, port: number): Promise<NodeHandle> {
    await mkdir(this.dirOf(id), { recursive: true });
    const handle = await NodeHandle.launch({
      ...this.options.settings,
      nodeId: id,
      dir: this.dirOf(id),
      voters: this.nodeIds,
      groups: this.options.groups,
      secret: this.secret,
      logPath: this.logPathOf(id),
      peerPort: port,
      peers: this.peersOf(id),
    });
    this.handles.set(id, handle);
    this.ports.set(id, handle.ready.peerPort);
    return handle;
  }

  /** Kills the nodes with SIGKILL, all at once, and waits until they are gone. */
  async kill(...ids: number[]): Promise<void> {
    await Promise.all(ids.map((id) => this.handles.get(id)?.kill()));
  }

  /**
   * Starts a stopped node again on its data directory and port. If the port was taken
   * meanwhile, it takes a new one and the running nodes are told.
   */
  async restart(id: number): Promise<NodeHandle> {
    if (this.node(id) !== undefined) throw new Error(`node ${id} is running`);
    try {
      return await this.launch(id, this.ports.get(id) ?? 0);
    } catch (error) {
      if (!/EADDRINUSE/.test(String((error as Error).message))) throw error;
      const handle = await this.launch(id, 0);
      for (const other of this.liveIds())
        if (other !== id) await this.handle(other).setPeers(this.peersOf(other));
      return handle;
    }
  }

  /** Statuses of the running nodes (a node that dies meanwhile is left out). */
  async statuses(): Promise<Map<number, NodeStatus>> {
    const entries = await Promise.all(
      this.liveIds().map(async (id) => {
        try {
          return [id, await this.handle(id).status()] as const;
        } catch {
          return undefined;
        }
      }),
    );
    return new Map(entries.filter((entry) => entry !== undefined));
  }

  /** Each group's leader among the running nodes (the one with the highest term). */
  async leaders(): Promise<Map<number, number>> {
    return leadersOf(await this.statuses());
  }

  async waitForLeaders(groups: readonly number[], timeoutMs: number): Promise<Map<number, number>> {
    let leaders = new Map<number, number>();
    await waitUntil(
      async () => {
        leaders = await this.leaders();
        return groups.every((g) => leaders.has(g));
      },
      {
        timeoutMs,
        what: () => `a leader for each of ${groups.length} groups (have ${leaders.size})`,
      },
    );
    return leaders;
  }

  /** Waits until every running node has applied each group up to the given index. */
  async waitForApplied(indexes: ReadonlyMap<number, number>, timeoutMs: number): Promise<void> {
    let behind = '';
    await waitUntil(
      async () => {
        const statuses = await this.statuses();
        behind = '';
        for (const id of this.liveIds()) {
          const status = statuses.get(id);
          for (const [group, index] of indexes) {
            const applied = status?.groups[group]?.applied ?? 0;
            if (applied < index) behind ||= `node ${id} group ${group} at ${applied} of ${index}`;
          }
        }
        return behind === '';
      },
      { timeoutMs, what: () => `every running node applies up to the barrier (${behind})` },
    );
  }

  /** What each node recorded as applied (read from its file; works while it runs). */
  async readApplied(): Promise<Map<number, AppliedSequences>> {
    const result = new Map<number, AppliedSequences>();
    for (const id of this.nodeIds)
      result.set(id, await readAppliedLog(join(this.dirOf(id), 'applied.log')));
    return result;
  }

  /** Kills every process; removes the data unless `keep` (to look at after a failure). */
  async close(options: { readonly keep?: boolean } = {}): Promise<void> {
    await Promise.all([...this.handles.values()].map((handle) => handle.kill()));
    if (options.keep !== true && this.options.root === undefined)
      rmSync(this.root, { recursive: true, force: true });
  }
}

export function leadersOf(statuses: ReadonlyMap<number, NodeStatus>): Map<number, number> {
  const best = new Map<number, { node: number; term: number }>();
  for (const [node, status] of statuses) {
    for (const [group, report] of Object.entries(status.groups)) {
      if (report.role !== 'leader') continue;
      const known = best.get(Number(group));
      if (known === undefined || report.term > known.term)
        best.set(Number(group), { node, term: report.term });
    }
  }
  return new Map([...best].map(([group, { node }]) => [group, node]));
}
