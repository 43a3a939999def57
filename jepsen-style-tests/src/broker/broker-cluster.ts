/**
 * `ClusterControl` over the real cluster launcher (`LocalCluster` of `@tributary/launch`).
 * Nodes are named `n1`...`nN` (broker ids 1...N). Every node reaches every other node's
 * peer (Raft) listener through the harness's `ProxyMesh`, so partitions cut real Raft
 * traffic between the processes. (Broker-to-controller calls over the client listeners —
 * registration, heartbeats, producer-id blocks, replica copies — do not pass the proxies.)
 */
import { rmSync } from 'node:fs';
import { type Admin, Client, silentLogger } from '@tributary/client';
import { LocalCluster } from '@tributary/launch';
import { JepsenError } from '../errors.ts';
import type { TopicPartition } from '../history/operation.ts';
import type { ClusterControl, ClusterNode, NodeSignal } from '../nemesis/cluster-control.ts';
import { ProxyMesh } from '../network/proxy-mesh.ts';
import type { BrokerClientConfig } from './client/broker-client.ts';
import { judgeHealth, type NodeHealth } from './node-health.ts';

const host = '127.0.0.1';
/** A node may take this long to start under heavy load (tsx compiles on the fly). */
const nodeReadyTimeoutMs = 180_000;
const healthPollMs = 500;
const leaderLookupTimeoutMs = 3000;

export interface BrokerClusterOptions {
  readonly nodes: number;
  readonly dataDir: string;
  /** Node settings (broker flags in camelCase), e.g. `{ checkpointIntervalMs: 200 }`. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
}

export class BrokerCluster implements ClusterControl {
  /** Nodes lost for good (their data removed); they are never started again. */
  private readonly retired = new Set<string>();
  private admin: Admin | undefined;

  private constructor(
    readonly local: LocalCluster,
    readonly network: ProxyMesh,
  ) {}

  static async create(options: BrokerClusterOptions): Promise<BrokerCluster> {
    // The proxies bind first: the launcher picks the nodes' ports among those still free, so
    // a proxy can never take a port a node is about to listen on.
    let local: LocalCluster | undefined;
    const names = Array.from({ length: options.nodes }, (_, i) => nameOf(i + 1));
    const mesh = await ProxyMesh.start({
      nodes: names,
      host,
      targetOf: (name) => {
        const id = idOf(name);
        return local?.isRunning(id) ? { host, port: local.node(id).peerPort } : undefined;
      },
    });
    try {
      local = await LocalCluster.create({
        nodes: options.nodes,
        dataDir: options.dataDir,
        host,
        ...(options.settings ? { settings: options.settings } : {}),
        peerUrlFor: (from, to, peerPort) => {
          if (from === to) return `ws://${host}:${peerPort}`;
          const proxy = mesh.addressFor(nameOf(from), nameOf(to));
          return `ws://${proxy.host}:${proxy.port}`;
        },
      });
    } catch (cause) {
      await mesh.close();
      throw cause;
    }
    return new BrokerCluster(local, mesh);
  }

  nodes(): readonly ClusterNode[] {
    return this.local.nodes.map((n) => ({
      id: nameOf(n.nodeId),
      pid: this.local.pid(n.nodeId),
      dataDir: n.dataDir,
    }));
  }

  async startAll(): Promise<void> {
    await Promise.all(
      this.local.nodes
        .filter((n) => !this.local.isRunning(n.nodeId) && !this.retired.has(nameOf(n.nodeId)))
        .map((n) => this.local.start(n.nodeId, { readyTimeoutMs: nodeReadyTimeoutMs })),
    );
  }

  async stopAll(): Promise<void> {
    await this.dropAdmin();
    await this.local.close({ graceful: false });
  }

  async start(nodeId: string): Promise<void> {
    if (this.retired.has(nodeId))
      throw new JepsenError('cluster-control', `${nodeId} was lost for good`);
    await this.local.start(idOf(nodeId), { readyTimeoutMs: nodeReadyTimeoutMs });
  }

  async kill(nodeId: string, signal: NodeSignal): Promise<void> {
    await this.local.signal(idOf(nodeId), signal);
  }

  isRunning(nodeId: string): boolean {
    return this.local.isRunning(idOf(nodeId));
  }

  /** Kills a node, removes its data for good, and never starts it again. */
  async retire(nodeId: string): Promise<void> {
    await this.local.kill(idOf(nodeId));
    this.retired.add(nodeId);
    rmSync(this.local.node(idOf(nodeId)).dataDir, { recursive: true, force: true });
  }

  async waitHealthy(options: {
    timeoutMs: number;
    signal?: AbortSignal;
  }): Promise<string | undefined> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const verdict = judgeHealth(await this.healthReports());
      if (verdict.ready) return verdict.note;
      if (Date.now() > deadline || options.signal?.aborted) {
        throw new JepsenError(
          'cluster-control',
          `cluster not healthy after ${options.timeoutMs} ms: ${verdict.reason}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, healthPollMs));
    }
  }

  private healthReports(): Promise<NodeHealth[]> {
    const live = this.local.nodes.filter((n) => !this.retired.has(nameOf(n.nodeId)));
    return Promise.all(
      live.map(async (n): Promise<NodeHealth> => {
        const node = nameOf(n.nodeId);
        if (!this.local.isRunning(n.nodeId))
          return { node, running: false, healthy: false, problems: ['not running'] };
        const report = await this.local.health(n.nodeId);
        const details = report.details as { problems?: unknown } | string | undefined;
        if (typeof details === 'string' || details === undefined)
          return { node, running: true, healthy: undefined, problems: [String(details)] };
        const problems = Array.isArray(details.problems) ? details.problems.map(String) : [];
        return { node, running: true, healthy: report.healthy, problems };
      }),
    );
  }

  clientConfig(): BrokerClientConfig {
    const addresses: Record<string, string> = {};
    const nodeNames: Record<number, string> = {};
    for (const n of this.local.nodes) {
      addresses[nameOf(n.nodeId)] = `${host}:${n.clientPort}`;
      nodeNames[n.nodeId] = nameOf(n.nodeId);
    }
    return {
      brokers: this.local.bootstrap,
      addresses,
      nodeNames,
      replicationFactor: Math.min(3, this.local.nodes.length),
      ...(process.env.JEPSEN_CLIENT_LOG ? { logLevel: clientLogLevel() } : {}),
    };
  }

  readonly partitionLeader = async (tp: TopicPartition): Promise<string | undefined> => {
    try {
      const admin = await this.connectedAdmin();
      const { topics } = await admin.fetchTopicMetadata({
        topics: [tp.topic],
        timeoutMs: leaderLookupTimeoutMs,
      });
      const leader = topics[0]?.partitions.find((p) => p.partitionId === tp.partition)?.leader;
      return leader !== undefined && leader > 0 ? nameOf(leader) : undefined;
    } catch {
      await this.dropAdmin();
      return undefined;
    }
  };

  readonly controllerLeader = async (): Promise<string | undefined> => {
    try {
      const admin = await this.connectedAdmin();
      const { controllerId } = await admin.describeCluster({ timeoutMs: leaderLookupTimeoutMs });
      return controllerId > 0 ? nameOf(controllerId) : undefined;
    } catch {
      await this.dropAdmin();
      return undefined;
    }
  };

  /** After a failed lookup the next one starts from a fresh connection to the bootstrap list. */
  private async dropAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => {});
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin === undefined) {
      const client = new Client({
        clientId: 'jepsen-nemesis',
        brokers: this.local.bootstrap,
        logger: silentLogger,
        requestTimeoutMs: leaderLookupTimeoutMs,
        connectTimeoutMs: leaderLookupTimeoutMs,
      });
      const admin = client.admin();
      await admin.connect({ timeoutMs: leaderLookupTimeoutMs });
      this.admin = admin;
    }
    return this.admin;
  }

  async close(): Promise<void> {
    await this.stopAll();
    await this.network.close();
  }
}

export function nameOf(nodeId: number): string {
  return `n${nodeId}`;
}

export function idOf(name: string): number {
  const id = Number(name.slice(1));
  if (!name.startsWith('n') || !Number.isSafeInteger(id) || id < 1)
    throw new JepsenError('cluster-control', `not a node name: ${name}`);
  return id;
}

function clientLogLevel(): 'debug' | 'info' | 'warn' | 'error' {
  const level = process.env.JEPSEN_CLIENT_LOG;
  return level === 'debug' || level === 'info' || level === 'error' ? level : 'warn';
}
