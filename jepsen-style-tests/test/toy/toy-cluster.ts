/**
 * Test scaffolding (toy log server): a ClusterControl over toy node processes. `n1` leads;
 * the others follow. The leader reaches each follower through `peerAddressFor` (the harness's
 * proxies). Each node keeps its port across restarts so clients and proxies find it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { JepsenError } from '../../src/errors.ts';
import type { ClusterControl, ClusterNode, NodeSignal } from '../../src/nemesis/cluster-control.ts';
import type { Address } from '../../src/network/link-proxy.ts';
import { typeScriptCommand } from '../../src/runner/node-command.ts';
import { onMessages, sendMessage } from './toy-lines.ts';
import type { ToyNodeConfig } from './toy-node.ts';

const nodeScript = fileURLToPath(new URL('./toy-node.ts', import.meta.url));
const startTimeoutMs = 20_000;

export interface ToyClusterOptions {
  readonly size: number;
  readonly baseDir: string;
  readonly partitions: number;
  readonly bug?: 'lose-tail';
  /** Where node `from` reaches node `to` (a proxy address); called after the proxies exist. */
  readonly peerAddressFor: (from: string, to: string) => Address;
}

interface ToyNode {
  readonly id: string;
  readonly dataDir: string;
  port: number;
  child: ChildProcess | undefined;
}

export class ToyCluster implements ClusterControl {
  private readonly members: ToyNode[];
  readonly leaderId = 'n1';

  constructor(private readonly options: ToyClusterOptions) {
    this.members = Array.from({ length: options.size }, (_, i) => {
      const dataDir = join(options.baseDir, `n${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      return { id: `n${i + 1}`, dataDir, port: 0, child: undefined };
    });
  }

  nodes(): readonly ClusterNode[] {
    return this.members.map((n) => ({
      id: n.id,
      dataDir: n.dataDir,
      pid: this.isRunning(n.id) ? n.child?.pid : undefined,
    }));
  }

  /** Where a follower listens for the leader now (the proxies' target). */
  peerAddress(id: string): Address | undefined {
    const node = this.member(id);
    return this.isRunning(id) && node.port !== 0
      ? { host: '127.0.0.1', port: node.port }
      : undefined;
  }

  readonly partitionLeader = async (): Promise<string> => this.leaderId;
  readonly controllerLeader = async (): Promise<string> => this.leaderId;

  async startAll(): Promise<void> {
    for (const node of this.members) if (!this.isRunning(node.id)) await this.start(node.id);
  }

  async stopAll(): Promise<void> {
    for (const node of this.members) {
      if (!this.isRunning(node.id)) continue;
      await this.kill(node.id, 'SIGCONT');
      await this.kill(node.id, 'SIGKILL');
    }
  }

  async start(nodeId: string): Promise<void> {
    const node = this.member(nodeId);
    if (this.isRunning(nodeId))
      throw new JepsenError('cluster-control', `${nodeId} is already running`);
    const config: ToyNodeConfig = {
      id: node.id,
      role: node.id === this.leaderId ? 'leader' : 'follower',
      dataDir: node.dataDir,
      partitions: this.options.partitions,
      port: node.port,
      followers: node.id === this.leaderId ? this.followerAddresses() : [],
      ...(this.options.bug ? { bug: this.options.bug } : {}),
    };
    const [file, ...args] = typeScriptCommand(nodeScript, [JSON.stringify(config)]);
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    node.child = child;
    node.port = await listeningPort(child, nodeId);
  }

  private followerAddresses(): ToyNodeConfig['followers'] {
    return this.members
      .filter((n) => n.id !== this.leaderId)
      .map((n) => ({ id: n.id, ...this.options.peerAddressFor(this.leaderId, n.id) }));
  }

  async kill(nodeId: string, signal: NodeSignal): Promise<void> {
    const child = this.member(nodeId).child;
    if (!child || !this.isRunning(nodeId))
      throw new JepsenError('cluster-control', `${nodeId} is not running`);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited;
  }

  isRunning(nodeId: string): boolean {
    const child = this.member(nodeId).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async waitHealthy(options: { timeoutMs: number }): Promise<undefined> {
    const deadline = Date.now() + options.timeoutMs;
    while (Date.now() < deadline) {
      if (await this.leaderSaysHealthy()) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new JepsenError(
      'cluster-control',
      `toy cluster not healthy after ${options.timeoutMs} ms`,
    );
  }

  private leaderSaysHealthy(): Promise<boolean> {
    const port = this.member(this.leaderId).port;
    if (!this.isRunning(this.leaderId) || port === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const socket = tcpConnect({ host: '127.0.0.1', port });
      const done = (healthy: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(healthy);
      };
      const timer = setTimeout(() => done(false), 1000);
      socket.on('connect', () => sendMessage(socket, { id: 0, op: 'health' }));
      onMessages(socket, (m) => done(m.ok === true));
      socket.on('close', () => done(false));
    });
  }

  clientConfig(): { host: string; port: number; partitions: number } {
    return {
      host: '127.0.0.1',
      port: this.member(this.leaderId).port,
      partitions: this.options.partitions,
    };
  }

  private member(id: string): ToyNode {
    const node = this.members.find((n) => n.id === id);
    if (!node) throw new JepsenError('cluster-control', `unknown node ${id}`);
    return node;
  }
}

function listeningPort(child: ChildProcess, nodeId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new JepsenError('cluster-control', `${nodeId} did not start`));
    }, startTimeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const event = JSON.parse(line) as { port: number };
      resolve(event.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new JepsenError('cluster-control', `${nodeId} exited at start (${code})`));
    });
  });
}
