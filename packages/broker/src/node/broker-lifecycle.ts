/**
 * The node as a member of the cluster: it registers with the controller and heartbeats
 * (reporting the partitions it leads), follows metadata changes (peers to dial, replicas to
 * create or drop), keeps leadership on preferred replicas, hands leadership off before a
 * graceful stop, and reports its health.
 */
import { Api, ErrorCode, ProtocolError } from '@tributary/protocol';
import { Role } from '@tributary/raft';
import { signInternal } from '../controller/internal-auth.ts';
import type { MetadataChange } from '../metadata/state.ts';
import type { HealthReport } from '../metrics/http.ts';
import { InternalClient } from './internal-client.ts';
import { metadataGroupId } from './metadata-group.ts';
import type { NodeParts } from './node.ts';
import {
  addBrokersAsMetadataLearners,
  advanceReassignments,
  type ReassignmentProgress,
} from './reassigner.ts';

/**
 * A new partition's first leader is whichever replica's election timer fired first. Its
 * leader moves it to the preferred replica within this long after creation, checked every
 * `preferredCheckMs`, rather than at the next balancing round, so clients see leaders
 * spread evenly from the start (as Kafka elects the preferred replica at creation). A
 * preferred-leader election asked for (ElectLeaders), and a partition whose reassignment
 * just completed, are watched the same way: the preferred replica may still be catching up.
 */
const preferredWatchMs = 30_000;
const preferredCheckMs = 50;

export class BrokerLifecycle {
  private readonly client = new InternalClient();
  /** Partition groups new or asked to move whose leader is not yet the preferred replica, by deadline. */
  private readonly groupsAwaitingPreferred = new Map<number, number>();
  private settleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastHeartbeatOkMs = 0;
  /** Partitions led here whose reassignment reached its target, reported with heartbeats. */
  private reassignmentsDone: ReassignmentProgress[] = [];
  private registeredIncarnation = '';

  constructor(private readonly parts: NodeParts) {}

  private get nodeId(): number {
    return this.parts.config.nodeId;
  }

  private selfRecord() {
    const { config } = this.parts;
    return {
      type: 'register-broker' as const,
      nodeId: config.nodeId,
      host: config.advertisedHost,
      port: this.parts.clientPort,
      peerUrl: config.advertisedPeerUrl || `ws://${config.peerHost}:${this.parts.transport.port}`,
      incarnation: this.parts.incarnation,
    };
  }

  /** The partitions this node leads now, with their terms. */
  leaderships(): { groupId: number; term: number }[] {
    const result: { groupId: number; term: number }[] = [];
    for (const replica of this.parts.replicas.all()) {
      const status = this.parts.host.group(replica.groupId)?.status();
      if (status?.role === Role.Leader)
        result.push({ groupId: replica.groupId, term: status.term });
    }
    return result;
  }

  /** One round: register if needed, then report liveness and leaderships. */
  async heartbeat(): Promise<void> {
    if (this.parts.metadata.isLeader()) {
      await this.heartbeatAsController();
      return;
    }
    const address = await this.controllerAddress();
    if (!address) return; // no controller known yet: try again next round
    const registered = this.parts.metadata.state.brokers.get(this.nodeId);
    if (
      registered?.incarnation !== this.parts.incarnation ||
      registered.port !== this.parts.clientPort
    ) {
      const { type: _type, nodeId, ...payload } = this.selfRecord();
      const body = signInternal({
        secret: this.parts.secret,
        api: Api.BrokerRegistration,
        nodeId,
        nowMs: Date.now(),
        payload,
      });
      const response = await this.client.request(address, Api.BrokerRegistration, body);
      if (response.error !== 0)
        throw new ProtocolError(
          { ...ErrorCode.UnknownServerError, code: response.error },
          response.message,
        );
      return;
    }
    const payload = {
      incarnation: this.parts.incarnation,
      leaderships: this.leaderships(),
      reassignmentsDone: this.reassignmentsDone,
    };
    const body = signInternal({
      secret: this.parts.secret,
      api: Api.BrokerHeartbeat,
      nodeId: this.nodeId,
      nowMs: Date.now(),
      payload,
    });
    const response = await this.client.request(address, Api.BrokerHeartbeat, body);
    if (response.error === 0) this.lastHeartbeatOkMs = Date.now();
  }

  /**
   * The controller's client address: from our copy of the metadata, or, for a node joining
   * a running cluster that does not follow the metadata log yet, asked of `joinVia`.
   */
  private async controllerAddress(): Promise<string | undefined> {
    const { metadata, config } = this.parts;
    const known = metadata.state.brokers.get(metadata.leaderId());
    if (known) return `${known.host}:${known.port}`;
    for (const address of config.joinVia.split(',').filter(Boolean)) {
      try {
        const answer = await this.client.request(address, Api.Metadata, { topics: [] }, 3000);
        const controller = answer.brokers.find((b) => b.nodeId === answer.controllerId);
        if (controller) return `${controller.host}:${controller.port}`;
      } catch {
        // try the next address
      }
    }
    return undefined;
  }

  private async heartbeatAsController(): Promise<void> {
    const { controller } = this.parts;
    const self = this.selfRecord();
    const result = await controller.registerBroker(self);
    if (!result.ok) return;
    this.registeredIncarnation = self.incarnation;
    await controller.reportLeaderships(this.nodeId, this.leaderships());
    await controller.reportReassignmentsDone(this.reassignmentsDone);
    await controller.ensureInternalTopics();
    this.lastHeartbeatOkMs = Date.now();
  }

  async allocateProducerIds(count: number): Promise<number> {
    if (this.parts.metadata.isLeader())
      return this.parts.controller.allocateProducerIds(this.nodeId, count);
    const broker = this.parts.metadata.state.brokers.get(this.parts.metadata.leaderId());
    if (!broker)
      throw new ProtocolError(ErrorCode.CoordinatorNotAvailable, 'no controller known yet');
    const body = signInternal({
      secret: this.parts.secret,
      api: Api.AllocateProducerIds,
      nodeId: this.nodeId,
      nowMs: Date.now(),
      payload: { count },
    });
    const response = await this.client.request(
      `${broker.host}:${broker.port}`,
      Api.AllocateProducerIds,
      body,
    );
    if (response.error !== 0)
      throw new ProtocolError(
        { ...ErrorCode.UnknownServerError, code: response.error },
        response.message,
      );
    return response.firstId;
  }

  /**
   * Snapshots the metadata state and drops the metadata log behind it, once enough
   * entries piled up. A replica that falls behind installs the snapshot.
   */
  compactMetadataLog(entriesBeforeCompaction = 10_000): void {
    const group = this.parts.host.group(metadataGroupId);
    if (!group) return;
    const status = group.status();
    const state = this.parts.metadata.state;
    const index = state.appliedIndex;
    const pinsWal = this.parts.host.groupsPinningOldestWalSegment().includes(metadataGroupId);
    if (index > status.applied || index < status.firstIndex) return;
    if (!pinsWal && index - status.firstIndex < entriesBeforeCompaction) return;
    if (this.parts.host.compact(metadataGroupId, index, state.encodeSnapshot())) {
      this.parts.logger.info('metadata log compacted', { index });
    }
  }

  /** Advances partition reassignments led here, and metadata membership on the leader. */

  async advanceMembership(): Promise<void> {
    const { host, metadata, replicas, logger } = this.parts;
    const groups = replicas.all().flatMap((r) => host.group(r.groupId) ?? []);
    this.reassignmentsDone = advanceReassignments({ state: metadata.state, groups, logger });
    const group0 = host.group(metadataGroupId);
    if (group0) addBrokersAsMetadataLearners(group0, metadata.state, logger);
  }

  /** Metadata moved: dial newly registered peers, bring replicas in line, act on requests. */
  onMetadataChanged(changes: readonly MetadataChange[]): void {
    for (const change of changes) {
      if (change.kind === 'preferred-leaders-requested') this.watchForPreferred(change.groupIds);
      // A reassignment may have made another replica the first (or removed the leader).
      if (change.kind === 'reassignment-completed')
        this.watchForPreferred([change.partition.groupId]);
      if (change.kind === 'topic-configs-changed') this.parts.replicas.reconfigure(change.topic);
      if (change.kind === 'topic-created')
        this.watchForPreferred(change.topic.partitions.map((p) => p.groupId));
    }
    const state = this.parts.metadata.state;
    const voterIds = new Set(this.parts.config.controllerVoters.map((v) => v.nodeId));
    for (const broker of state.brokers.values()) {
      // Voters' addresses come from the configuration (which may route through proxies).
      if (broker.nodeId === this.nodeId || voterIds.has(broker.nodeId)) continue;
      this.parts.transport.addPeer(broker.nodeId, broker.peerUrl);
    }
    void this.parts.replicas.reconcile(state);
  }

  /**
   * Moves leadership of partitions this node leads back to their preferred replica (the
   * first in the replica list) when that replica is a live, caught-up voter.
   */
  async balanceLeadership(): Promise<void> {
    this.moveToPreferred(this.parts.replicas.all().map((replica) => replica.groupId));
  }

  /**
   * Moves these partitions to their preferred replicas now if they can go, else as soon as
   * the preferred replica has caught up (a new partition, or one whose replica list was just
   * reordered), rather than at the next balancing round.
   */
  private watchForPreferred(groupIds: readonly number[]): void {
    if (this.stopped) return;
    const deadline = Date.now() + preferredWatchMs;
    for (const groupId of groupIds) this.groupsAwaitingPreferred.set(groupId, deadline);
    this.moveToPreferred(groupIds);
    this.settleTimer ??= setInterval(() => this.settleWatchedPartitions(), preferredCheckMs);
    this.settleTimer.unref();
  }

  /**
   * Each node moves the watched partitions it leads to their preferred replicas, once those
   * have caught up; a partition leaves the watch list when any replica here sees the preferred
   * replica lead it, or at its deadline (the periodic balancer covers it from then on).
   */
  private settleWatchedPartitions(): void {
    const now = Date.now();
    const state = this.parts.metadata.state;
    for (const [groupId, deadline] of this.groupsAwaitingPreferred) {
      const preferred = state.partitionsByGroup.get(groupId)?.replicas[0];
      const leader = this.parts.host.group(groupId)?.status().leader;
      if (preferred === undefined || leader === preferred || now > deadline)
        this.groupsAwaitingPreferred.delete(groupId);
    }
    if (this.groupsAwaitingPreferred.size === 0) this.stopSettling();
    else this.moveToPreferred(this.groupsAwaitingPreferred.keys());
  }

  private stopSettling(): void {
    clearInterval(this.settleTimer);
    this.settleTimer = undefined;
    this.groupsAwaitingPreferred.clear();
  }

  /** Hands each of these partitions led here to its preferred replica, if that one can lead. */
  private moveToPreferred(groupIds: Iterable<number>): void {
    const state = this.parts.metadata.state;
    for (const groupId of groupIds) {
      const group = this.parts.host.group(groupId);
      const preferred = state.partitionsByGroup.get(groupId)?.replicas[0];
      if (!group || preferred === undefined || preferred === this.nodeId) continue;
      const status = group.status();
      if (status.role !== Role.Leader) continue;
      const target = status.progress.find((p) => p.id === preferred);
      if (!target || target.isLearner || !target.recentActive || target.match < status.lastIndex)
        continue;
      group.transferLeadership(preferred);
    }
  }

  /** Before a graceful stop: ask every group this node leads to elect another leader. */
  async handOffLeadership(timeoutMs: number): Promise<void> {
    this.stopped = true;
    this.stopSettling();
    const led = [metadataGroupId, ...this.parts.replicas.all().map((r) => r.groupId)]
      .map((id) => this.parts.host.group(id))
      .filter((g) => g !== undefined && g.status().role === Role.Leader);
    await Promise.all(
      led.map((group) => {
        const status = group!.status();
        const target = status.progress
          .filter((p) => p.id !== this.nodeId && !p.isLearner && p.recentActive)
          .sort((a, b) => b.match - a.match)[0];
        if (!target) return Promise.resolve(false);
        group!.transferLeadership(target.id);
        return group!.waitUntil((s) => s.role !== Role.Leader, { timeoutMs });
      }),
    );
  }

  health(): HealthReport {
    const { host, metadata, replicas, config, controller } = this.parts;
    const problems: string[] = [];
    if (host.failed) problems.push(`raft storage failed: ${host.failed.message}`);
    if (metadata.leaderId() < 0) problems.push('no metadata leader known');
    if (!metadata.state.brokers.has(config.nodeId))
      problems.push('not registered with the controller');
    const fenced = replicas.all().filter((r) => r.fenced);
    if (fenced.length > 0) problems.push(`${fenced.length} fenced partition replica(s)`);
    const stuck = replicas.all().filter((r) => r.restoreStuck);
    if (stuck.length > 0)
      problems.push(
        `${stuck.length} partition replica(s) restoring a snapshot whose copy from the leader keeps failing`,
      );
    const unopened = replicas.unopened();
    if (unopened.length > 0)
      problems.push(
        `${unopened.length} fenced partition replica(s) whose data could not be opened`,
      );
    return {
      healthy: problems.length === 0,
      details: {
        nodeId: config.nodeId,
        controllerId: metadata.leaderId(),
        brokers: metadata.state.brokers.size,
        // Only the controller knows which brokers heartbeat (what topic placement uses).
        liveBrokers: metadata.isLeader() ? controller.liveBrokers() : undefined,
        topics: metadata.state.topics.size,
        replicas: replicas.all().length,
        lastHeartbeatAgeMs: this.lastHeartbeatOkMs ? Date.now() - this.lastHeartbeatOkMs : -1,
        problems,
        registeredIncarnation: this.registeredIncarnation || undefined,
      },
    };
  }

  close(): void {
    this.stopped = true;
    this.stopSettling();
    this.client.close();
  }
}
