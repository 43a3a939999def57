/**
 * One Raft node as a node process runs it: the WAL, the authenticated peer transport and
 * the multi-raft host, hosting groups 1..N with a recording state machine each, and the
 * operations of the control channel (propose, status, stats, peers, repair).
 */
import { join } from 'node:path';
import { validateMessage } from '../src/core/validate-message.ts';
import { nodeWalFileSystem } from '../src/durable/file-system.ts';
import { RaftWal } from '../src/durable/wal.ts';
import type { HostedGroup } from '../src/host/hosted-group.ts';
import { type HostLogger, RaftHost } from '../src/host/raft-host.ts';
import { PeerTransport } from '../src/transport/peer-transport.ts';
import { AppliedLog } from './applied-log.ts';
import type { GroupReport, NodeStats, NodeStatus, ProposeReply } from './control-protocol.ts';
import { Diagnostics } from './diagnostics.ts';
import { NodeProcessError } from './errors.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { NodeProcessConfig } from './node-config.ts';
import { encodeProposals } from './proposal-payload.ts';
import {
  type PendingProposals,
  type ProposalOutcome,
  RecordingStateMachine,
} from './recording-machine.ts';

interface Replica {
  readonly group: HostedGroup;
  readonly machine: RecordingStateMachine;
}

interface StatsBase {
  atMs: number;
  cpu: NodeJS.CpuUsage;
  dataEntriesApplied: number;
  proposalsAcked: number;
  syncs: number;
  cycles: number;
  flushes: number;
  segmentSyncs: number;
  acknowledgedSyncs: number;
  bytesWritten: number;
  entriesStaged: number;
  diskReads: number;
  peerBytesSent: number;
  peerMessagesSent: number;
  peerFramesSent: number;
  peerEntriesSent: number;
  peerDroppedQueueFull: number;
  appendRejectionsReceived: number;
  tailProbesSent: number;
  replicationRestarts: number;
}

export class RaftNode {
  private readonly replicas = new Map<number, Replica>();
  private readonly fenced = new Map<number, string>();
  private readonly latency = new LatencyHistogram();
  private readonly syncLatency: LatencyHistogram;
  private proposalsAcked = 0;
  private statsBase: StatsBase;
  private transport!: PeerTransport;
  private readonly diagnostics: Diagnostics;

  private constructor(
    private readonly config: NodeProcessConfig,
    private readonly logger: HostLogger,
    private readonly wal: RaftWal,
    private readonly host: RaftHost,
    private readonly appliedLog: AppliedLog | undefined,
    syncLatency: LatencyHistogram,
    diagnostics: Diagnostics,
  ) {
    this.syncLatency = syncLatency;
    this.diagnostics = diagnostics;
    this.statsBase = this.statsNow();
  }

  static async start(config: NodeProcessConfig, logger: HostLogger): Promise<RaftNode> {
    const appliedLog = config.appliedLog
      ? await AppliedLog.open(join(config.dir, 'applied.log'))
      : undefined;
    const diagnostics = new Diagnostics();
    const wal = await RaftWal.open({
      dir: join(config.dir, 'raft'),
      logger,
      fileSystem: diagnostics.timedFileSystem(nodeWalFileSystem),
      ...(config.walCacheBytes === undefined ? {} : { cacheBytes: config.walCacheBytes }),
    });
    let transport: PeerTransport | undefined;
    const syncLatency = new LatencyHistogram();
    const host = new RaftHost({
      nodeId: config.nodeId,
      wal,
      transport: {
        send: (messages) => {
          diagnostics.countSent(messages);
          transport?.send(messages);
        },
      },
      logger,
      tickMs: config.tickMs,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      seed: config.seed,
      observeSync: (seconds) => syncLatency.record(seconds * 1000),
    });
    const node = new RaftNode(config, logger, wal, host, appliedLog, syncLatency, diagnostics);
    transport = await PeerTransport.start({
      nodeId: config.nodeId,
      listen: { host: config.peerHost, port: config.peerPort },
      peers: config.peers,
      secret: config.secret,
      validate: validateMessage,
      onMessages: (_from, messages) => {
        diagnostics.countReceived(messages);
        host.receive(messages);
      },
      logger: { warn: (event, fields) => logger.warn(event, fields) },
      ...(config.frameBytesMax === undefined ? {} : { frameBytesMax: config.frameBytesMax }),
    });
    node.transport = transport;
    for (let group = 1; group <= config.groups; group++) node.startGroup(group);
    return node;
  }

  get peerPort(): number {
    return this.transport.port;
  }

  get fencedGroups(): Record<string, string> {
    return Object.fromEntries(this.fenced);
  }

  get votingDisabled(): Record<string, number> {
    const disabled: Record<string, number> = {};
    for (const [id, replica] of this.replicas) {
      const index = replica.group.storage.votingDisabledUntilIndex;
      if (index > 0) disabled[id] = index;
    }
    return disabled;
  }

  get failure(): Error | undefined {
    return this.host.failed;
  }

  private startGroup(id: number): void {
    const storage = this.wal.group(id);
    if (storage.fault !== undefined) {
      // Fenced by recovery: never started; the operator repairs it (see `repair`).
      this.fenced.set(id, storage.fault.message);
      this.logger.warn('group-fenced', { group: id, reason: storage.fault.message });
      return;
    }
    const recorded = this.appliedLog?.recovered.get(id)?.at(-1)?.index ?? 0;
    const machine = new RecordingStateMachine({
      group: id,
      appliedLog: this.appliedLog,
      appliedIndex: recorded,
      latency: this.latency,
    });
    const group = this.host.createGroup(id, {
      stateMachine: machine,
      bootstrap: { voters: [...this.config.voters], outgoingVoters: [], learners: [] },
      ...(recorded > 0 ? { applied: recorded } : {}),
    });
    this.replicas.set(id, { group, machine });
  }

  /**
   * The operator's repair of a group the WAL fenced: its damaged state is removed and the
   * replica re-created empty, to re-learn its log from the leader. It must not vote before
   * its log reaches `votingDisabledUntilIndex` (give the leader's commit index or more):
   * without that fence an empty replica could vote for a candidate lacking committed
   * entries. Its applied-entries file is kept; entries it already recorded are skipped.
   */
  async repair(id: number, votingDisabledUntilIndex: number): Promise<void> {
    if (!this.fenced.has(id))
      throw new NodeProcessError('BAD_REQUEST', `group ${id} is not fenced`);
    this.wal.removeGroup(id);
    await this.wal.sync();
    this.wal.group(id).votingDisabledUntilIndex = votingDisabledUntilIndex;
    this.fenced.delete(id);
    this.startGroup(id);
    this.logger.warn('group-repaired', { group: id, votingDisabledUntilIndex });
  }

  /** Asks this node's leader of `groupId` to hand leadership to `to` (benchmarks balance). */
  transferLeader(groupId: number, to: number): void {
    const replica = this.replicas.get(groupId);
    if (replica === undefined)
      throw new NodeProcessError('BAD_REQUEST', `group ${groupId} is not hosted here`);
    const error = replica.group.transferLeadership(to);
    if (error !== undefined) throw new NodeProcessError('BAD_REQUEST', error.message);
  }

  setPeers(peers: ReadonlyMap<number, string>): void {
    for (const [id, url] of peers) this.transport.addPeer(id, url);
  }

  /** Proposes each id as its own entry; resolves once every one is settled. */
  propose(groupId: number, ids: readonly number[], size: number): Promise<ProposeReply> {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) {
      const reason = this.fenced.has(groupId) ? 'fenced' : 'unknown-group';
      return Promise.resolve({
        acked: [],
        superseded: [],
        unknown: [],
        refused: [...ids],
        refusal: { code: reason, leader: 0 },
        indexLast: 0,
      });
    }
    return new ProposalBatch(replica, ids, size, this.config.proposalTimeoutMs, (n) => {
      this.proposalsAcked += n;
    }).run();
  }

  status(): NodeStatus {
    const groups: Record<string, GroupReport> = {};
    for (const [id, { group, machine }] of this.replicas) {
      if (group.removed) continue;
      const s = group.status();
      groups[id] = {
        role: s.role,
        leader: s.leader,
        term: s.term,
        commit: s.commit,
        lastIndex: s.lastIndex,
        applied: machine.appliedIndex,
        votingDisabledUntilIndex: s.votingDisabledUntilIndex,
        pending: machine.pendingCount,
      };
    }
    const transport = this.transport.stats();
    const peers: NodeStatus['transport']['peers'] = {};
    for (const [id, p] of transport.peers) {
      peers[id] = {
        state: p.state,
        connects: p.connects,
        malformedFrames: p.malformedFrames,
        invalidMessages: p.invalidMessages,
        misaddressedMessages: p.misaddressedMessages,
        messagesReceived: p.messagesReceived,
        messagesSent: p.messagesSent,
        framesSent: p.framesSent,
        droppedQueueFull: p.droppedQueueFull,
      };
    }
    return {
      nodeId: this.config.nodeId,
      pid: process.pid,
      peerPort: this.peerPort,
      groups,
      fenced: this.fencedGroups,
      transport: {
        authFailures: transport.authFailures,
        unauthenticatedRejected: transport.unauthenticatedRejected,
        oversizeFramesReceived: transport.oversizeFramesReceived,
        peers,
      },
      host: this.host.stats(),
      hostFailure: this.host.failed?.message,
    };
  }

  private statsNow(): StatsBase {
    let dataEntriesApplied = 0;
    let tailProbesSent = 0;
    let replicationRestarts = 0;
    for (const { machine, group } of this.replicas.values()) {
      dataEntriesApplied += machine.dataEntriesApplied;
      tailProbesSent += group.node.raft.counters.tailProbesSent;
      replicationRestarts += group.node.raft.counters.replicationRestarts;
    }
    const host = this.host.stats();
    const wal = this.wal.stats();
    const peers = { bytes: 0, messages: 0, frames: 0, entries: 0, dropped: 0 };
    // The transport starts after the host (its callbacks need the host): none before.
    for (const p of this.transport?.stats().peers.values() ?? []) {
      peers.bytes += p.bytesSent;
      peers.messages += p.messagesSent;
      peers.frames += p.framesSent;
      peers.entries += p.entriesSent;
      peers.dropped += p.droppedQueueFull;
    }
    return {
      atMs: performance.now(),
      cpu: process.cpuUsage(),
      dataEntriesApplied,
      proposalsAcked: this.proposalsAcked,
      syncs: host.syncs,
      cycles: host.cycles,
      flushes: wal.flushes,
      segmentSyncs: wal.segmentSyncs,
      acknowledgedSyncs: wal.acknowledgedSyncs,
      bytesWritten: wal.bytesWritten,
      entriesStaged: wal.entriesStaged,
      diskReads: wal.diskReads,
      peerBytesSent: peers.bytes,
      peerMessagesSent: peers.messages,
      peerFramesSent: peers.frames,
      peerEntriesSent: peers.entries,
      peerDroppedQueueFull: peers.dropped,
      appendRejectionsReceived: host.appendRejectionsReceived,
      tailProbesSent,
      replicationRestarts,
    };
  }

  /** Counters since the last reset (for benchmarks), and the commit latency histogram. */
  stats(reset: boolean): NodeStats {
    const now = this.statsNow();
    const base = this.statsBase;
    const cpu = process.cpuUsage(base.cpu);
    const stats: NodeStats = {
      elapsedMs: now.atMs - base.atMs,
      dataEntriesApplied: now.dataEntriesApplied - base.dataEntriesApplied,
      proposalsAcked: now.proposalsAcked - base.proposalsAcked,
      latency: this.latency.toCounts(),
      syncLatency: this.syncLatency.toCounts(),
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      syncs: now.syncs - base.syncs,
      cycles: now.cycles - base.cycles,
      walFlushes: now.flushes - base.flushes,
      walSegmentSyncs: now.segmentSyncs - base.segmentSyncs,
      walAcknowledgedSyncs: now.acknowledgedSyncs - base.acknowledgedSyncs,
      walBytesWritten: now.bytesWritten - base.bytesWritten,
      walEntriesStaged: now.entriesStaged - base.entriesStaged,
      walDiskReads: now.diskReads - base.diskReads,
      walCacheBytes: this.wal.stats().cacheBytes,
      peerBytesSent: now.peerBytesSent - base.peerBytesSent,
      peerMessagesSent: now.peerMessagesSent - base.peerMessagesSent,
      peerFramesSent: now.peerFramesSent - base.peerFramesSent,
      peerEntriesSent: now.peerEntriesSent - base.peerEntriesSent,
      peerDroppedQueueFull: now.peerDroppedQueueFull - base.peerDroppedQueueFull,
      appendRejectionsReceived: now.appendRejectionsReceived - base.appendRejectionsReceived,
      tailProbesSent: now.tailProbesSent - base.tailProbesSent,
      replicationRestarts: now.replicationRestarts - base.replicationRestarts,
      diagnostics: this.diagnostics.snapshot(),
    };
    if (reset) {
      this.diagnostics.reset();
      this.statsBase = now;
      this.latency.reset();
      this.syncLatency.reset();
    }
    return stats;
  }

  async close(): Promise<void> {
    await this.host.close();
    await this.transport.close();
    await this.wal.close();
    await this.appliedLog?.close();
  }
}

/**
 * One propose request: its ids proposed as one entry each, in one call to the core (one
 * append, one Ready), and their outcomes gathered.
 */
class ProposalBatch implements PendingProposals {
  private readonly reply = {
    acked: [] as number[],
    superseded: [] as number[],
    refused: [] as number[],
    unknown: [] as number[],
    refusal: undefined as ProposeReply['refusal'],
    indexLast: 0,
  };
  private open = 0;
  private resolve!: (reply: ProposeReply) => void;
  private timer: NodeJS.Timeout | undefined;
  indexFirst = 0;
  proposedAtMs = 0;

  constructor(
    private readonly replica: Replica,
    readonly ids: readonly number[],
    private readonly size: number,
    private readonly timeoutMs: number,
    private readonly countAcked: (count: number) => void,
  ) {}

  run(): Promise<ProposeReply> {
    const done = new Promise<ProposeReply>((resolve) => {
      this.resolve = resolve;
    });
    this.proposedAtMs = performance.now();
    const result = this.replica.group.propose(encodeProposals(this.ids, this.size));
    if (!result.ok) {
      this.reply.refused.push(...this.ids);
      this.reply.refusal = { code: result.error.code, leader: this.replica.group.status().leader };
      this.finish();
      return done;
    }
    this.indexFirst = result.indexFirst;
    this.open = this.ids.length;
    this.replica.machine.track(this);
    this.timer = setTimeout(() => this.expire(), this.timeoutMs);
    return done;
  }

  settle(slot: number, outcome: ProposalOutcome): void {
    if (this.open === 0) return; // already answered (expired)
    const id = this.ids[slot] as number;
    if (outcome === 'acked') {
      this.reply.acked.push(id);
      this.reply.indexLast = Math.max(this.reply.indexLast, this.indexFirst + slot);
    } else {
      this.reply.superseded.push(id);
    }
    this.open -= 1;
    if (this.open === 0) this.finish();
  }

  private expire(): void {
    const settled = new Set([...this.reply.acked, ...this.reply.superseded, ...this.reply.refused]);
    for (const id of this.ids) if (!settled.has(id)) this.reply.unknown.push(id);
    this.open = 0;
    this.finish();
  }

  private finish(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.countAcked(this.reply.acked.length);
    this.resolve(this.reply);
  }
}
