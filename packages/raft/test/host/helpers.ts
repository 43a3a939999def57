import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Entry,
  EntryType,
  type Message,
  type Snapshot,
  type SoftState,
} from '../../src/core/types.ts';
import { RaftWal, type RaftWalOptions } from '../../src/durable/wal.ts';
import type { GroupStateMachine } from '../../src/host/hosted-group.ts';
import { RaftHost } from '../../src/host/raft-host.ts';

export const quietLogger = { warn() {}, error() {}, debug() {} };

/** Records applied data entries as strings, in order. */
export class RecordingMachine implements GroupStateMachine {
  applied: string[] = [];
  appliedIndex = 0;
  soft: SoftState | undefined;
  async apply(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      if (entry.type === EntryType.Data) this.applied.push(Buffer.from(entry.data).toString());
      this.appliedIndex = entry.index;
    }
  }
  async restore(_snapshot: Snapshot): Promise<void> {
    throw new Error('no snapshots in this test');
  }
  onSoftState(state: SoftState): void {
    this.soft = state;
  }
}

/** Hosts in one process whose messages are delivered asynchronously, unless cut. */
export class HostMesh {
  readonly hosts = new Map<number, RaftHost>();
  readonly wals = new Map<number, RaftWal>();
  readonly dirs = new Map<number, string>();
  readonly down = new Set<number>();
  /** What the hosts logged at error level, as `node <id>: <message>`. */
  readonly errors: string[] = [];

  constructor(private readonly root = mkdtempSync(join(tmpdir(), 'raft-host-'))) {}

  async start(
    nodeId: number,
    walOptions: Pick<RaftWalOptions, 'segmentBytes' | 'cacheBytes' | 'fileSystem'> = {},
  ): Promise<RaftHost> {
    const dir = this.dirs.get(nodeId) ?? join(this.root, `node-${nodeId}`);
    this.dirs.set(nodeId, dir);
    const wal = await RaftWal.open({ dir, ...walOptions });
    const host = new RaftHost({
      nodeId,
      wal,
      transport: { send: (messages) => this.deliver(messages) },
      logger: {
        ...quietLogger,
        error: (message, fields) => {
          const group = fields.group === undefined ? '' : `group ${fields.group}: `;
          this.errors.push(`node ${nodeId}: ${group}${message}`);
        },
      },
      tickMs: 5,
      electionTicks: 10,
      heartbeatTicks: 2,
      seed: nodeId * 7919,
    });
    this.hosts.set(nodeId, host);
    this.wals.set(nodeId, wal);
    this.down.delete(nodeId);
    return host;
  }

  private deliver(messages: readonly Message[]): void {
    for (const message of messages) {
      setImmediate(() => {
        if (this.down.has(message.to) || this.down.has(message.from)) return;
        this.hosts.get(message.to)?.receive([message]);
      });
    }
  }

  async stop(nodeId: number): Promise<void> {
    this.down.add(nodeId);
    await this.hosts.get(nodeId)?.close();
    await this.wals.get(nodeId)?.close();
    this.hosts.delete(nodeId);
  }

  async close(): Promise<void> {
    for (const id of [...this.hosts.keys()]) await this.stop(id);
    rmSync(this.root, { recursive: true, force: true });
  }
}

export async function eventually(
  condition: () => boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
