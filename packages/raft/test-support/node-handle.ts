/**
 * The controlling side of one node process: spawns it, waits for its `ready` event, sends
 * control requests and matches the replies, and kills it (SIGKILL) or shuts it down.
 * Its stderr (JSON log lines) is appended to a file, kept across restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NodeStats, NodeStatus, ProposeReply, ReadyEvent } from './control-protocol.ts';
import { NodeProcessError } from './errors.ts';
import { clusterSecretVariable } from './node-config.ts';

const nodeProcessPath = fileURLToPath(new URL('./node-process.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const requestTimeoutMsDefault = 30_000;
/** Plenty for tsx to compile and a WAL to recover on a machine with a load of 20. */
export const readyTimeoutMsDefault = 120_000;
const shutdownTimeoutMs = 30_000;
const logTailBytes = 4096;

export interface NodeLaunchOptions {
  readonly nodeId: number;
  readonly dir: string;
  readonly voters: readonly number[];
  readonly groups: number;
  readonly secret: string;
  /** Where the process's stderr is appended. */
  readonly logPath: string;
  readonly peerPort?: number;
  readonly peers?: ReadonlyMap<number, string>;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly appliedLog?: boolean;
  readonly frameBytesMax?: number;
  readonly walCacheBytes?: number;
  readonly proposalTimeoutMs?: number;
  readonly seed?: number;
  /** Extra flags for node itself (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  readonly readyTimeoutMs?: number;
}

interface Waiting {
  resolve(value: Record<string, unknown>): void;
  reject(error: unknown): void;
  readonly timer: NodeJS.Timeout;
}

function argumentsOf(options: NodeLaunchOptions): string[] {
  const args = [
    '--node-id',
    String(options.nodeId),
    '--dir',
    options.dir,
    '--voters',
    options.voters.join(','),
    '--groups',
    String(options.groups),
    '--peer-port',
    String(options.peerPort ?? 0),
  ];
  const optional: [string, number | string | undefined][] = [
    ['--tick-ms', options.tickMs],
    ['--election-ticks', options.electionTicks],
    ['--heartbeat-ticks', options.heartbeatTicks],
    ['--frame-bytes-max', options.frameBytesMax],
    ['--wal-cache-bytes', options.walCacheBytes],
    ['--proposal-timeout-ms', options.proposalTimeoutMs],
    ['--seed', options.seed],
    ['--applied-log', options.appliedLog === false ? 'off' : undefined],
  ];
  for (const [flag, value] of optional) if (value !== undefined) args.push(flag, String(value));
  const peers = [...(options.peers ?? [])].map(([id, url]) => `${id}=${url}`).join(',');
  if (peers !== '') args.push('--peers', peers);
  return args;
}

function logTail(path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(-logTailBytes);
  } catch {
    return '(no log)';
  }
}

export class NodeHandle {
  private readonly waiting = new Map<number, Waiting>();
  private nextRequestId = 1;
  private outgoing: string[] = [];
  private exitState: { code: number | null; signal: string | null } | undefined;
  readonly exited: Promise<void>;
  ready!: ReadyEvent;

  private constructor(
    readonly options: NodeLaunchOptions,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitState = { code, signal };
        const error = new NodeProcessError('PROCESS_EXITED', `node ${options.nodeId} exited`, {
          retriable: true,
        });
        for (const waiting of this.waiting.values()) {
          clearTimeout(waiting.timer);
          waiting.reject(error);
        }
        this.waiting.clear();
        resolve();
      }),
    );
  }

  static async launch(options: NodeLaunchOptions): Promise<NodeHandle> {
    const log = openSync(options.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        process.execPath,
        [...(options.nodeFlags ?? []), '--import', 'tsx', nodeProcessPath, ...argumentsOf(options)],
        {
          cwd: repositoryRoot,
          stdio: ['pipe', 'pipe', log],
          env: { ...process.env, [clusterSecretVariable]: options.secret },
        },
      );
    } finally {
      closeSync(log);
    }
    // Writes after the process died fail with EPIPE: its exit answers every request.
    child.stdin?.on('error', () => {});
    const handle = new NodeHandle(options, child);
    handle.ready = await handle.readLines();
    return handle;
  }

  private readLines(): Promise<ReadyEvent> {
    const { nodeId, logPath } = this.options;
    return new Promise<ReadyEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new NodeProcessError('TIMEOUT', `node ${nodeId} not ready: ${logTail(logPath)}`));
      }, this.options.readyTimeoutMs ?? readyTimeoutMsDefault);
      void this.exited.then(() => {
        clearTimeout(timer);
        const how = JSON.stringify(this.exitState);
        reject(
          new NodeProcessError(
            'PROCESS_EXITED',
            `node ${nodeId} exited ${how}: ${logTail(logPath)}`,
          ),
        );
      });
      const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return; // not a control line: ignored (the node writes only JSON to stdout)
        }
        if (message.ev === 'ready') {
          clearTimeout(timer);
          resolve(message as unknown as ReadyEvent);
        } else if (typeof message.re === 'number') {
          this.answer(message.re, message);
        }
      });
    });
  }

  private answer(requestId: number, message: Record<string, unknown>): void {
    const waiting = this.waiting.get(requestId);
    if (waiting === undefined) return;
    this.waiting.delete(requestId);
    clearTimeout(waiting.timer);
    if (message.ok === true) waiting.resolve(message);
    else waiting.reject(new NodeProcessError('BAD_REQUEST', `${message.code}: ${message.message}`));
  }

  get nodeId(): number {
    return this.options.nodeId;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exitState === undefined;
  }

  get exitStatus(): { code: number | null; signal: string | null } | undefined {
    return this.exitState;
  }

  request(
    body: Record<string, unknown>,
    timeoutMs = requestTimeoutMsDefault,
  ): Promise<Record<string, unknown>> {
    if (!this.alive)
      return Promise.reject(
        new NodeProcessError('PROCESS_EXITED', `node ${this.nodeId} is not running`, {
          retriable: true,
        }),
      );
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new NodeProcessError('TIMEOUT', `node ${this.nodeId}: no answer to ${body.op}`, {
            retriable: true,
          }),
        );
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.writeLine(JSON.stringify({ id, ...body }));
    });
  }

  /** Writes a raw line to the control channel (for bad-input tests). */
  writeRaw(line: string): void {
    this.writeLine(line);
  }

  /**
   * Lines written in one turn of the event loop go out in one write: a benchmark's load
   * generator sends thousands of requests a second, and a write per line cost both
   * processes a system call each (the largest single item in the nodes' profiles at
   * half rate).
   */
  private writeLine(line: string): void {
    this.outgoing.push(line);
    if (this.outgoing.length > 1) return;
    setImmediate(() => {
      const lines = this.outgoing;
      this.outgoing = [];
      this.child.stdin?.write(`${lines.join('\n')}\n`);
    });
  }

  async status(timeoutMs?: number): Promise<NodeStatus> {
    return (await this.request({ op: 'status' }, timeoutMs)).status as NodeStatus;
  }

  async propose(
    group: number,
    ids: readonly number[],
    size: number,
    timeoutMs?: number,
  ): Promise<ProposeReply> {
    return (await this.request(
      { op: 'propose', group, ids, size },
      timeoutMs,
    )) as unknown as ProposeReply;
  }

  async stats(reset: boolean): Promise<NodeStats> {
    return (await this.request({ op: 'stats', reset })).stats as NodeStats;
  }

  async setPeers(peers: ReadonlyMap<number, string>): Promise<void> {
    await this.request({ op: 'set-peers', peers: Object.fromEntries(peers) });
  }

  async transferLeader(group: number, to: number): Promise<void> {
    await this.request({ op: 'transfer-leader', group, to });
  }

  async repair(group: number, votingDisabledUntilIndex: number): Promise<void> {
    await this.request({ op: 'repair', group, votingDisabledUntilIndex });
  }

  /** SIGKILL: the process dies wherever it is, with whatever it had not written. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop (so `--cpu-prof` can write its profile); SIGKILL if it takes too long. */
  async shutdown(): Promise<void> {
    if (!this.alive) return;
    this.request({ op: 'shutdown' }).catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), shutdownTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
