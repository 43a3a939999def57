/**
 * A Tributary node: one process holding the metadata group (group 0), the partition
 * replicas assigned here, the controller (active while this node leads group 0), group
 * coordinators, and the listeners for clients, peers and metrics.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Api, initChecksums } from '@tributary/protocol';
import { type Message, RaftStorageError, Role } from '@tributary/raft';
import { PeerTransport, RaftHost, RaftWal, validateMessage } from '@tributary/raft/host';
import type { NodeConfig } from '../config/options.ts';
import { Controller } from '../controller/controller.ts';
import { BrokerError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { MetadataState } from '../metadata/state.ts';
import { type MetricsEndpoint, startMetricsEndpoint } from '../metrics/http.ts';
import { type Histogram, MetricsRegistry } from '../metrics/registry.ts';
import { ClientServer } from '../server/client-server.ts';
import { BrokerLifecycle } from './broker-lifecycle.ts';
import { GroupCoordinators } from './group-coordinators.ts';
import { InternalClient } from './internal-client.ts';
import { leaderReader } from './leader-reader.ts';
import { MetadataGroup, metadataGroupId } from './metadata-group.ts';
import { registerNodeMetrics } from './node-metrics.ts';
import { createNodeRouter } from './node-router.ts';
import { ProducerIdAllocator } from './producer-ids.ts';
import { ReplicaManager } from './replica-manager.ts';

export interface NodePorts {
  readonly client: number;
  readonly peer: number;
  readonly metrics: number;
}

/** Everything a running node is made of, for the router, the lifecycle and the metrics. */
export interface NodeParts {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly incarnation: string;
  readonly secret: string;
  readonly wal: RaftWal;
  readonly host: RaftHost;
  readonly transport: PeerTransport;
  readonly metadata: MetadataGroup;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly coordinators: GroupCoordinators;
  readonly producerIds: ProducerIdAllocator;
  readonly registry: MetricsRegistry;
  clientPort: number;
  lifecycle: BrokerLifecycle | undefined;
  syncLatency: Histogram | undefined;
}

function votersOf(config: NodeConfig, peerUrl: string): Map<number, string> {
  if (config.controllerVoters.length === 0) return new Map([[config.nodeId, peerUrl]]);
  return new Map(config.controllerVoters.map((v) => [v.nodeId, v.peerUrl]));
}

export class BrokerNode {
  private closing = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Stops the samplers behind the node's metrics (event-loop delay, GC). */
  private stopMetrics: () => void = () => {};

  private constructor(
    readonly parts: NodeParts,
    private readonly server: ClientServer,
    private readonly metricsEndpoint: MetricsEndpoint,
  ) {}

  get ports(): NodePorts {
    return {
      client: this.server.port,
      peer: this.parts.transport.port,
      metrics: this.metricsEndpoint.port,
    };
  }

  static async start(config: NodeConfig, logger: Logger): Promise<BrokerNode> {
    await initChecksums();
    await mkdir(config.dataDir, { recursive: true });
    const parts = await BrokerNode.assemble(config, logger);
    const router = createNodeRouter(parts);
    const server = new ClientServer({
      host: config.clientHost,
      port: config.clientPort,
      logger,
      handle: router.handle,
      observe: router.observe,
    });
    parts.clientPort = await server.start();
    const metricsEndpoint = await startMetricsEndpoint({
      host: config.metricsHost,
      port: config.metricsPort,
      registry: parts.registry,
      health: () => parts.lifecycle?.health() ?? { healthy: false, details: { starting: true } },
    });
    const node = new BrokerNode(parts, server, metricsEndpoint);
    parts.lifecycle = new BrokerLifecycle(parts);
    node.startTimers();
    node.stopMetrics = registerNodeMetrics(parts);
    logger.info('node started', { nodeId: config.nodeId, ...node.ports });
    return node;
  }

  private static async assemble(config: NodeConfig, logger: Logger): Promise<NodeParts> {
    const advertisedPeerUrl =
      config.advertisedPeerUrl || `ws://${config.peerHost}:${config.peerPort}`;
    const voters = votersOf(config, advertisedPeerUrl);
    const secret = config.clusterSecret || randomBytes(24).toString('hex');
    if (!config.clusterSecret)
      logger.warn(
        'no cluster secret set: a random one is used; this node cannot be joined by others',
      );
    let wal: RaftWal;
    try {
      wal = await RaftWal.open({
        dir: join(config.dataDir, 'raft'),
        segmentBytes: config.walSegmentBytes,
        logger: { warn: (event, fields) => logger.warn(event, fields) },
      });
    } catch (error) {
      if (error instanceof RaftStorageError && error.code === 'SEGMENT_MISSING')
        throw walCorrupt(config, `it lost a segment: ${error.message}`);
      throw error;
    }
    // The group's own fault: recovery sets it, and so do the checks after it (a snapshot
    // file the log names but the disk lost), which the recovery report does not list.
    const metadataFault = wal.hasGroup(metadataGroupId)
      ? wal.group(metadataGroupId).fault
      : undefined;
    if (metadataFault !== undefined) {
      await wal.close().catch(() => {});
      throw walCorrupt(
        config,
        `it holds corrupt records of the metadata log or its snapshot (${metadataFault.message})`,
      );
    }
    let transport: PeerTransport | undefined;
    const syncLatency: { current: Histogram | undefined } = { current: undefined };
    const host = new RaftHost({
      nodeId: config.nodeId,
      wal,
      transport: { send: (messages: readonly Message[]) => transport?.send(messages) },
      logger: {
        warn: (e, f) => logger.warn(e, f),
        error: (e, f) => logger.error(e, f),
        debug: (e, f) => logger.debug(e, f),
      },
      tickMs: config.tickMs,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      seed: randomBytes(4).readUInt32LE(0),
      observeSync: (seconds) => syncLatency.current?.observe({}, seconds),
    });
    const peers = new Map([...voters].filter(([id]) => id !== config.nodeId));
    transport = await PeerTransport.start({
      nodeId: config.nodeId,
      listen: { host: config.peerHost, port: config.peerPort },
      peers,
      secret,
      validate: (value) => {
        const message = validateMessage(value);
        return message instanceof Error ? undefined : message;
      },
      onMessages: (_from, messages) => host.receive(messages),
      logger: { warn: (e, f) => logger.warn(e, f), info: (e, f) => logger.info(e, f) },
    });
    const snapshot = wal.group(metadataGroupId).snapshot();
    const initialState = snapshot
      ? MetadataState.decodeSnapshot(snapshot.data)
      : new MetadataState();
    const metadata = new MetadataGroup(initialState, logger, (changes) =>
      parts.lifecycle?.onMetadataChanged(changes),
    );
    const coordinators = new GroupCoordinators({
      nodeId: config.nodeId,
      state: () => metadata.state,
      logger,
      localLeader: (groupId) =>
        host.group(groupId)?.status().role === Role.Leader ? config.nodeId : undefined,
    });
    const replicas = new ReplicaManager({
      nodeId: config.nodeId,
      dataDir: config.dataDir,
      host,
      logger,
      raftLogRetainEntries: config.raftLogRetainEntries,
      messageBytesMax: config.messageBytesMax,
      readFromLeader: leaderReader(new InternalClient(), () => metadata.state),
      onReplicaCreated: (replica) => coordinators.watch(replica),
    });
    const controller = new Controller({
      get state() {
        return metadata.state;
      },
      log: metadata,
      nowMs: () => Date.now(),
      logger,
      brokerSessionMs: config.brokerSessionMs,
      defaultReplicationFactor: config.defaultReplicationFactor,
      offsetsTopicPartitions: config.offsetsTopicPartitions,
      bootstrapVoterCount: voters.size,
    });
    const parts: NodeParts = {
      config,
      logger,
      incarnation: randomBytes(8).toString('hex'),
      secret,
      wal,
      host,
      transport,
      metadata,
      controller,
      replicas,
      coordinators,
      producerIds: new ProducerIdAllocator((count) => {
        if (!parts.lifecycle)
          throw new Error('assertion failed: producer ids asked for before start');
        return parts.lifecycle.allocateProducerIds(count);
      }),
      registry: new MetricsRegistry(),
      clientPort: 0,
      lifecycle: undefined,
      get syncLatency() {
        return syncLatency.current;
      },
      set syncLatency(histogram) {
        syncLatency.current = histogram;
      },
    };
    const group0 = host.createGroup(metadataGroupId, {
      stateMachine: metadata,
      bootstrap: { voters: [...voters.keys()], outgoingVoters: [], learners: [] },
      ...(snapshot ? { applied: snapshot.metadata.index } : {}),
    });
    metadata.attach(group0);
    return parts;
  }

  private startTimers(): void {
    const { config, lifecycle, replicas } = {
      ...this.parts,
      lifecycle: this.parts.lifecycle as BrokerLifecycle,
    };
    const every = (ms: number, task: () => Promise<void>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running || this.closing) return;
        running = true;
        void task()
          .catch((error) =>
            this.parts.logger.warn('periodic task failed', { error: (error as Error).message }),
          )
          .finally(() => {
            running = false;
          });
      }, ms);
      this.timers.push(timer);
    };
    every(config.brokerHeartbeatMs, () => lifecycle.heartbeat());
    every(config.checkpointIntervalMs, () => replicas.checkpointAll());
    every(30_000, () => replicas.retentionPass());
    if (config.leaderBalanceIntervalMs > 0)
      every(config.leaderBalanceIntervalMs, () => lifecycle.balanceLeadership());
    every(1_000, () => lifecycle.advanceMembership());
    every(2_000, async () => lifecycle.compactMetadataLog(config.metadataSnapshotEntries));
  }

  /** Graceful stop: move leaderships away, flush, close listeners and storage. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.parts.lifecycle?.handOffLeadership(5_000);
    await this.server.close();
    this.parts.coordinators.close();
    await this.parts.replicas.close();
    await this.parts.host.close();
    await this.parts.transport.close();
    await this.parts.wal.close();
    await this.metricsEndpoint.close();
    this.stopMetrics();
    this.parts.lifecycle?.close();
    this.parts.logger.info('node stopped', { nodeId: this.parts.config.nodeId });
  }
}

export { Api };

/** The node cannot start on its Raft WAL: why, and the tested repair. */
function walCorrupt(config: NodeConfig, why: string): BrokerError {
  return new BrokerError(
    'RAFT_WAL_CORRUPT',
    `the Raft WAL in ${join(config.dataDir, 'raft', 'wal')} is damaged (${why}), so this node ` +
      `cannot start. Repair: stop it, move the 'wal' directory aside, keep 'acknowledged' and ` +
      `'snapshots', and start it: it re-learns every group from its peers, voting in none ` +
      `until it has (docs/operations.md, "A corrupt Raft WAL"); then check the disk.`,
  );
}
