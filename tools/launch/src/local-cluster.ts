/**
 * Starts and controls a cluster of node processes on this machine: the programmatic API
 * behind `npm start`, the end-to-end tests and the jepsen-style harness. Each node is a
 * child process running `packages/broker/src/main.ts`, with its own data directory and log
 * file; nodes are started, stopped gracefully (SIGTERM), killed (any signal), paused and
 * resumed, and restarted with their data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.ts';

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const nodeMain = join(repositoryRoot, 'packages/broker/src/main.ts');
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

export interface NodeAddresses {
  readonly nodeId: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly dataDir: string;
  readonly logFile: string;
}

export interface LocalClusterOptions {
  readonly nodes: number;
  /** Parent directory; node i keeps its data in `<dataDir>/node-<i>`. */
  readonly dataDir: string;
  /** Fixed ports: node i gets basePort + 10·(i−1) + {0 client, 1 peer, 2 metrics}. Default: free ports. */
  readonly basePort?: number;
  readonly host?: string;
  /** Extra flags for every node, e.g. { tickMs: 20 }. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  readonly clusterSecret?: string;
  /** Peer URL node `from` uses to reach node `to` (the harness puts proxies here). */
  readonly peerUrlFor?: (from: number, to: number, peerPort: number) => string;
  /** Extra arguments for each node's `node` binary (e.g. `--cpu-prof` when profiling). */
  readonly execArgv?: readonly string[];
  /** Copy each node's stderr to this process's stderr as well as its log file. */
  readonly echoLogs?: boolean;
}

export class NodeExitedError extends Error {
  constructor(
    readonly nodeId: number,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly logFile: string,
  ) {
    super(
      `node ${nodeId} exited (code ${exitCode}, signal ${signal}) before it was ready; see ${logFile}`,
    );
    this.name = 'NodeExitedError';
  }
}

interface RunningNode {
  readonly child: ChildProcess;
  readonly log: WriteStream;
  readonly exited: Promise<void>;
  ready: boolean;
}

function toFlag(key: string): string {
  return `--${key.replace(/([A-Z])/g, '-$1').toLowerCase()}`;
}

export class LocalCluster {
  private readonly members: NodeAddresses[];
  /** The nodes the cluster was created with: the metadata group's voters. */
  private readonly voterCount: number;
  readonly clusterSecret: string;
  private readonly running = new Map<number, RunningNode>();
  private readonly host: string;

  private constructor(
    private readonly options: LocalClusterOptions,
    nodes: NodeAddresses[],
  ) {
    this.members = nodes;
    this.voterCount = nodes.length;
    this.host = options.host ?? '127.0.0.1';
    this.clusterSecret = options.clusterSecret ?? LocalCluster.storedSecret(options.dataDir);
  }

  /** The secret kept in the data directory, so a restarted cluster keeps talking to itself. */
  private static storedSecret(dataDir: string): string {
    const path = join(dataDir, 'cluster-secret');
    if (existsSync(path)) return readFileSync(path, 'utf8').trim();
    const secret = randomBytes(24).toString('hex');
    writeFileSync(path, `${secret}\n`, { mode: 0o600 });
    return secret;
  }

  static async create(options: LocalClusterOptions): Promise<LocalCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 99) {
      throw new RangeError(`nodes must be an integer in [1, 99], got ${options.nodes}`);
    }
    const dataDir = resolve(options.dataDir);
    const ports =
      options.basePort === undefined
        ? await freePorts(options.nodes * 3, options.host)
        : Array.from(
            { length: options.nodes * 3 },
            (_, i) => (options.basePort as number) + Math.floor(i / 3) * 10 + (i % 3),
          );
    const nodes = Array.from({ length: options.nodes }, (_, i) => ({
      nodeId: i + 1,
      clientPort: ports[i * 3] as number,
      peerPort: ports[i * 3 + 1] as number,
      metricsPort: ports[i * 3 + 2] as number,
      dataDir: join(dataDir, `node-${i + 1}`),
      logFile: join(dataDir, `node-${i + 1}.log`),
    }));
    mkdirSync(dataDir, { recursive: true });
    return new LocalCluster({ ...options, dataDir }, nodes);
  }

  node(nodeId: number): NodeAddresses {
    const node = this.nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new RangeError(`no node ${nodeId} in this cluster`);
    return node;
  }

  /** `host:port` of every node's client listener, for a client's bootstrap list. */
  get bootstrap(): string[] {
    return this.nodes.map((n) => `${this.host}:${n.clientPort}`);
  }

  get nodes(): readonly NodeAddresses[] {
    return this.members;
  }

  private voters(forNode: number): string {
    const peerUrl =
      this.options.peerUrlFor ??
      ((_from: number, _to: number, port: number) => `ws://${this.host}:${port}`);
    return this.members
      .slice(0, this.voterCount)
      .map((n) => `${n.nodeId}@${peerUrl(forNode, n.nodeId, n.peerPort)}`)
      .join(',');
  }

  /**
   * Adds a node to the running cluster (not started): a broker that joins through the
   * existing nodes' client listeners and follows the metadata group as a learner.
   */
  async addNode(): Promise<NodeAddresses> {
    const [clientPort, peerPort, metricsPort] = (await freePorts(3, this.options.host)) as [
      number,
      number,
      number,
    ];
    const nodeId = Math.max(...this.members.map((n) => n.nodeId)) + 1;
    const node: NodeAddresses = {
      nodeId,
      clientPort,
      peerPort,
      metricsPort,
      dataDir: join(this.options.dataDir, `node-${nodeId}`),
      logFile: join(this.options.dataDir, `node-${nodeId}.log`),
    };
    this.members.push(node);
    return node;
  }

  private argumentsFor(node: NodeAddresses): string[] {
    const settings: Record<string, string | number | boolean> = {
      nodeId: node.nodeId,
      dataDir: node.dataDir,
      clientHost: this.host,
      clientPort: node.clientPort,
      peerHost: this.host,
      peerPort: node.peerPort,
      metricsHost: this.host,
      metricsPort: node.metricsPort,
      controllerVoters: this.voters(node.nodeId),
      clusterSecret: this.clusterSecret,
      ...(node.nodeId > this.voterCount
        ? { joinVia: this.bootstrap.slice(0, this.voterCount).join(',') }
        : {}),
      ...this.options.settings,
    };
    return Object.entries(settings).flatMap(([key, value]) => [toFlag(key), String(value)]);
  }

  isRunning(nodeId: number): boolean {
    return this.running.has(nodeId);
  }

  pid(nodeId: number): number | undefined {
    return this.running.get(nodeId)?.child.pid;
  }

  /** Starts a node and resolves once it reports that it is serving. */
  async start(nodeId: number, options: { readyTimeoutMs?: number } = {}): Promise<void> {
    if (this.running.has(nodeId)) throw new Error(`node ${nodeId} is already running`);
    const node = this.node(nodeId);
    mkdirSync(node.dataDir, { recursive: true });
    const log = createWriteStream(node.logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        ...(this.options.execArgv ?? []),
        '--import',
        tsxLoader,
        nodeMain,
        ...this.argumentsFor(node),
      ],
      {
        cwd: repositoryRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    // If this process ends without closing the cluster, its nodes end with it.
    killWhenThisProcessExits(child);

    const entry: RunningNode = { child, log, exited, ready: false };
    this.running.set(nodeId, entry);
    child.stderr?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (this.options.echoLogs) process.stderr.write(chunk);
    });
    child.once('exit', () => {
      this.running.delete(nodeId);
      log.end();
    });
    await this.waitReady(nodeId, entry, options.readyTimeoutMs ?? 180_000);
  }

  private waitReady(nodeId: number, entry: RunningNode, timeoutMs: number): Promise<void> {
    const node = this.node(nodeId);
    return new Promise<void>((resolveReady, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`node ${nodeId} not ready within ${timeoutMs} ms; see ${node.logFile}`)),
        timeoutMs,
      );
      const lines = createInterface({ input: entry.child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        entry.log.write(`${line}\n`);
        if (entry.ready) return;
        try {
          if ((JSON.parse(line) as { event?: string }).event === 'ready') {
            entry.ready = true;
            clearTimeout(timer);
            resolveReady();
          }
        } catch {
          // not a JSON line: just log it
        }
      });
      entry.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!entry.ready) reject(new NodeExitedError(nodeId, code, signal, node.logFile));
      });
    });
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.nodeId)));
  }

  /** Sends a signal; with SIGKILL or SIGTERM waits for the process to end. */
  async signal(nodeId: number, signal: NodeJS.Signals): Promise<void> {
    const entry = this.running.get(nodeId);
    if (!entry) return;
    entry.child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await entry.exited;
  }

  kill(nodeId: number): Promise<void> {
    return this.signal(nodeId, 'SIGKILL');
  }

  /** Graceful stop: SIGTERM, then SIGKILL if still running after `graceMs`. */
  async stop(nodeId: number, graceMs = 15_000): Promise<void> {
    const entry = this.running.get(nodeId);
    if (!entry) return;
    entry.child.kill('SIGTERM');
    const timer = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
    await entry.exited;
    clearTimeout(timer);
  }

  pause(nodeId: number): Promise<void> {
    return this.signal(nodeId, 'SIGSTOP');
  }

  resume(nodeId: number): Promise<void> {
    return this.signal(nodeId, 'SIGCONT');
  }

  async restart(nodeId: number): Promise<void> {
    await this.stop(nodeId);
    await this.start(nodeId);
  }

  /** Stops every node (SIGCONT first, in case one is paused). */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    await Promise.all(
      [...this.running.keys()].map(async (nodeId) => {
        this.running.get(nodeId)?.child.kill('SIGCONT');
        if (options.graceful === false) await this.kill(nodeId);
        else await this.stop(nodeId, 5_000);
      }),
    );
  }

  /**
   * Polls every running node's /health until all say healthy and the controller counts
   * every running node as live. A restarted node is healthy (registered in the metadata
   * it replays) before its first heartbeat reaches the controller; until then the
   * controller leaves it out of placement, and a topic with one replica per node is
   * refused with INVALID_REPLICATION_FACTOR.
   */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = [...this.running.keys()];
      const reports = await Promise.all(running.map((id) => this.health(id)));
      if (reports.every((r) => r.healthy) && controllerSeesAll(reports, running)) return;
      if (Date.now() > deadline) {
        throw new Error(`cluster not healthy within ${timeoutMs} ms: ${JSON.stringify(reports)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async health(nodeId: number): Promise<{ nodeId: number; healthy: boolean; details?: unknown }> {
    const node = this.node(nodeId);
    try {
      const response = await fetch(`http://${this.host}:${node.metricsPort}/health`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = (await response.json()) as { healthy: boolean; details: unknown };
      return { nodeId, healthy: response.ok && body.healthy, details: body.details };
    } catch (error) {
      return { nodeId, healthy: false, details: (error as Error).message };
    }
  }
}

/** Whether the controller's health report lists every running node among its live brokers. */
function controllerSeesAll(
  reports: readonly { nodeId: number; details?: unknown }[],
  running: readonly number[],
): boolean {
  const controller = reports.find((r) => {
    const details = r.details as { controllerId?: unknown } | undefined;
    return details?.controllerId === r.nodeId;
  });
  const live = (controller?.details as { liveBrokers?: unknown } | undefined)?.liveBrokers;
  if (!Array.isArray(live)) return false;
  return running.every((id) => live.includes(id));
}

/** Node processes of every cluster this process started that are still running. */
const runningChildren = new Set<ChildProcess>();

/**
 * One 'exit' hook for all of them, not one per node: a process running a few clusters (a
 * test, the chaos runner) passed Node's limit of ten listeners and got a leak warning.
 */
function killWhenThisProcessExits(child: ChildProcess): void {
  if (runningChildren.size === 0) process.once('exit', killRunningChildren);
  runningChildren.add(child);
  child.once('exit', () => {
    runningChildren.delete(child);
    if (runningChildren.size === 0) process.removeListener('exit', killRunningChildren);
  });
}

function killRunningChildren(): void {
  for (const child of runningChildren) child.kill('SIGKILL');
}
