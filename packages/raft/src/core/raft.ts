/**
 * The Raft state machine of one replica of one group. It holds the volatile state (role,
 * known leader, votes, follower progress) and dispatches every input: `tick`, `step` and
 * the host's proposals. What a role does with a message lives beside it in a file per
 * concern (election, replication, follower appends, snapshots, reads, membership,
 * transfer); this file holds the state, the role transitions and the rules every message
 * obeys before any role sees it (group, recipient, sender, term).
 *
 * Outputs accumulate here (`messages`, `messagesAfterPersist`, `readStates`, the log's
 * unstable part, the commit index) until RawNode packs them into a Ready.
 */
import { assert } from './assert.ts';
import {
  allVoters,
  applyConfigChange,
  decodeConfigEntry,
  describeConfig,
  isMember,
  isVoter,
  leaveJoint,
} from './config-change.ts';
import {
  campaign,
  commitPoint,
  handleVoteRequest,
  handleVoteResponse,
  learnCommitFromPeer,
} from './election.ts';
import type { InvalidMessageError, RejectReason } from './errors.ts';
import { rejectReasons } from './errors.ts';
import { handleAppend, handleHeartbeat } from './follower.ts';
import { Inflights } from './inflights.ts';
import { lastUnappliedConfigIndex } from './membership.ts';
import { type RawNodeOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { Progress } from './progress.ts';
import { configVoteOutcome } from './quorum.ts';
import { RaftLog } from './raft-log.ts';
import { handleReadIndexRequest, ReadIndexTracker } from './read-index.ts';
import {
  broadcastAppend,
  broadcastHeartbeat,
  handleAppendResponse,
  handleHeartbeatResponse,
  probeStalled,
} from './replication.ts';
import {
  handleSnapshotChunk,
  handleSnapshotResponse,
  SnapshotReceiver,
} from './snapshot-transfer.ts';
import { abortTransfer, tickTransfer } from './transfer.ts';
import {
  type ConfigState,
  type CoreLogger,
  type Entry,
  EntryType,
  type GroupId,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  type Prng,
  type ReadState,
  Role,
  type SoftState,
  type VoteRequest,
} from './types.ts';
import { UncommittedTracker } from './uncommitted.ts';

export type CampaignKind = 'pre-vote' | 'election' | 'transfer';

export interface RaftCounters {
  readonly rejected: Record<RejectReason, number>;
  /** Messages of an older term, dropped as the protocol says (not an error). */
  staleTermMessages: number;
  /** Vote requests ignored because a leader was heard within the lease (with check-quorum,
   * or from a candidate whose log is behind an entry known committed). */
  votesIgnoredInLease: number;
  campaigns: number;
  leaderships: number;
  snapshotsSent: number;
  snapshotsRestored: number;
  readsDropped: number;
  invalidConfigEntries: number;
  /** Times the hard state's commit pointed past the log at start (entries were lost). */
  commitBeyondLogAtStart: number;
  /** Leader: appends without entries sent to ask a silent follower what it holds. */
  tailProbesSent: number;
  /** Leader: followers sent back to probe (an append refused, a snapshot stream stalled). */
  replicationRestarts: number;
}

/** One membership as of the index of the entry (or snapshot) that produced it. */
export interface ConfigAtIndex {
  readonly index: number;
  readonly config: ConfigState;
}

const emptyData = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  readonly group: GroupId;
  readonly options: ResolvedOptions;
  readonly log: RaftLog;
  readonly logger: CoreLogger;
  private readonly prng: Prng;

  term = 0;
  vote: NodeId = 0;
  leader: NodeId = 0;
  role: Role = Role.Follower;

  /** The applied membership, and the index of the entry or snapshot it came from. */
  config: ConfigState;
  configIndex: number;
  configHistory: ConfigAtIndex[];

  /** Leader only: one entry per member of the configuration, this node included. */
  readonly progress = new Map<NodeId, Progress>();
  /** Candidate and pre-candidate only: the answers received so far. */
  readonly votes = new Map<NodeId, boolean>();

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Leader only: the node leadership is being handed to, or 0. */
  transferee: NodeId = 0;
  /** Leader ticks since the transfer target last made progress, and since the transfer began. */
  transferIdleTicks = 0;
  transferTicks = 0;
  /** Leader only: no new membership change until the host has applied this index. */
  pendingConfigIndex = 0;
  /** Leader only: a Config entry at this index is in its log, not applied: no data until it is. */
  configEntryUnapplied = 0;
  /** The highest index known durable on this node's disk and matching its log. */
  persistedIndex: number;
  votingDisabledUntilIndex: number;

  readonly uncommitted = new UncommittedTracker();
  readonly reads = new ReadIndexTracker();
  readonly snapshotReceiver = new SnapshotReceiver();

  messages: Message[] = [];
  messagesAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  appendBroadcastPending = false;
  commitBroadcastPending = false;
  heartbeatBroadcastPending = false;

  readonly counters: RaftCounters;

  constructor(options: RawNodeOptions) {
    this.options = resolveOptions(options);
    this.id = this.options.id;
    this.group = this.options.group;
    this.logger = options.logger;
    this.prng = options.prng;
    this.counters = newCounters();
    const storage = options.log;
    const { hardState, config: bootstrapConfig } = storage.initialState();
    checkHardState(hardState, this.describe());
    const snapshot = storage.snapshot();
    const snapshotIndex = storage.firstIndex() - 1;
    const lastIndex = storage.lastIndex();
    if (!(snapshot === undefined ? snapshotIndex === 0 : snapshot.metadata.index === snapshotIndex))
      assert(
        false,
        `${this.describe()}: log reader's first index ${snapshotIndex + 1} does not follow its snapshot`,
      );
    if (!(lastIndex >= snapshotIndex))
      assert(false, `${this.describe()}: last index below the snapshot`);
    let commit = Math.max(hardState.commit, snapshotIndex);
    if (commit > lastIndex) {
      // The disk lost entries the hard state says were committed: keep what is there and
      // let the leader resend the rest (votingDisabledUntilIndex keeps this node from voting).
      this.counters.commitBeyondLogAtStart++;
      this.logger.warn('raft.commit-beyond-log', { ...this.fields(), commit, lastIndex });
      commit = lastIndex;
    }
    const applied = options.applied ?? snapshotIndex;
    if (!(Number.isSafeInteger(applied) && applied >= snapshotIndex && applied <= commit))
      assert(
        false,
        `${this.describe()}: applied ${applied} outside [snapshot ${snapshotIndex}, commit ${commit}]`,
      );
    this.log = new RaftLog(storage, commit, applied);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.config = snapshot?.metadata.config ?? bootstrapConfig;
    this.configIndex = snapshotIndex;
    this.configHistory = [{ index: snapshotIndex, config: this.config }];
    this.persistedIndex = lastIndex;
    this.votingDisabledUntilIndex = this.options.votingDisabledUntilIndex;
    this.replayConfigEntries(snapshotIndex, applied);
    this.becomeFollower(this.term, 0);
  }

  // ---- identity, logging, counters -------------------------------------------------

  describe(): string {
    return `raft group ${this.group} node ${this.id}`;
  }

  fields(): Record<string, unknown> {
    return { group: this.group, node: this.id, term: this.term };
  }

  /** An invariant check whose failure names this group and node. */
  check(condition: boolean, message: string): asserts condition {
    if (!condition)
      assert(false, `${this.describe()} (term ${this.term}, ${this.role}): ${message}`);
  }

  trace(event: string, fields: Record<string, unknown> = {}): void {
    if (this.options.trace)
      this.logger.debug?.(event, { ...this.fields(), role: this.role, ...fields });
  }

  reject(reason: RejectReason, m: { type?: unknown; from?: unknown }, detail: string): void {
    this.counters.rejected[reason]++;
    this.logger.warn('raft.message-rejected', {
      ...this.fields(),
      reason,
      from: m.from,
      type: m.type,
      detail,
    });
  }

  rejectInvalid(error: InvalidMessageError, value: unknown): void {
    const m = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    this.reject(error.reason, { type: m.type, from: m.from }, error.message);
  }

  softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  // ---- role transitions ------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.check(term > this.term, `term would go back from ${this.term} to ${term}`);
      this.term = term;
      this.vote = 0;
    }
    this.leader = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.options.electionTicks + this.prng.nextInt(this.options.electionTicks);
    abortTransfer(this);
    this.votes.clear();
    this.progress.clear();
    this.counters.readsDropped += this.reads.reset();
    this.uncommitted.reset();
    this.configEntryUnapplied = 0;
    this.appendBroadcastPending = false;
    this.commitBroadcastPending = false;
    this.heartbeatBroadcastPending = false;
  }

  becomeFollower(term: number, leader: NodeId): void {
    const before = this.role;
    this.reset(term);
    this.role = Role.Follower;
    this.leader = leader;
    if (before !== Role.Follower) this.trace('raft.become-follower', { leader });
  }

  becomePreCandidate(): void {
    this.check(this.role !== Role.Leader, 'a leader cannot become a pre-candidate');
    // A pre-candidate changes neither its term nor its vote: that is the point of pre-vote.
    this.role = Role.PreCandidate;
    this.votes.clear();
    this.leader = 0;
    this.trace('raft.become-pre-candidate');
  }

  becomeCandidate(): void {
    this.check(this.role !== Role.Leader, 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.role = Role.Candidate;
    this.vote = this.id;
    this.trace('raft.become-candidate');
  }

  becomeLeader(): void {
    this.check(
      this.role === Role.Candidate,
      `only a candidate can become leader, not a ${this.role}`,
    );
    this.reset(this.term);
    this.role = Role.Leader;
    this.leader = this.id;
    this.counters.leaderships++;
    this.syncProgress();
    const self = this.progress.get(this.id);
    this.check(self !== undefined, 'a new leader must be a member of its configuration');
    self.maybeUpdate(this.persistedIndex);
    self.becomeReplicate();
    // Commit an entry of our own term at once: it commits every earlier entry with it
    // (Figure 8) and lets reads and membership changes proceed.
    const noop: Entry = {
      index: this.log.lastIndex() + 1,
      term: this.term,
      type: EntryType.Noop,
      data: emptyData,
    };
    this.log.append([noop]);
    this.pendingConfigIndex = noop.index;
    this.configEntryUnapplied = lastUnappliedConfigIndex(this);
    this.appendBroadcastPending = true;
    this.trace('raft.become-leader', {
      lastIndex: noop.index,
      config: describeConfig(this.config),
    });
  }

  /** Leader: make the progress map hold exactly the members of the configuration. */
  syncProgress(): void {
    const next = this.log.lastIndex() + 1;
    for (const id of [...this.progress.keys()]) {
      if (!isMember(this.config, id)) this.progress.delete(id);
    }
    for (const id of [
      ...this.config.voters,
      ...this.config.outgoingVoters,
      ...this.config.learners,
    ]) {
      const isLearner = !isVoter(this.config, id);
      const existing = this.progress.get(id);
      if (existing !== undefined) {
        existing.isLearner = isLearner;
        continue;
      }
      const inflights = new Inflights(
        this.options.inflightAppendsMax,
        this.options.inflightBytesMax,
      );
      this.progress.set(id, new Progress({ next, isLearner, inflights }));
    }
  }

  /** Whether this node may campaign now. */
  promotable(): boolean {
    return (
      isVoter(this.config, this.id) &&
      !this.log.hasPendingSnapshot() &&
      !this.votingDisabled() &&
      !this.hasUnappliedConfigEntries()
    );
  }

  /** Protocol-aware recovery: refuse to vote until the lost entries are re-learned. */
  votingDisabled(): boolean {
    if (this.votingDisabledUntilIndex === 0) return false;
    if (this.persistedIndex < this.votingDisabledUntilIndex) return true;
    this.trace('raft.voting-enabled', { index: this.votingDisabledUntilIndex });
    this.votingDisabledUntilIndex = 0;
    return false;
  }

  /** A node that knows of a committed, unapplied membership change must not campaign
   * with the membership it is about to leave. */
  private hasUnappliedConfigEntries(): boolean {
    const low = Math.max(this.log.applied + 1, this.log.firstIndex());
    const high = Math.min(this.log.committed, this.log.lastIndex()) + 1;
    for (let at = low; at < high; ) {
      const batch = this.log.entries(at, high, this.options.committedBytesPerReadyMax);
      for (const entry of batch) if (entry.type === EntryType.Config) return true;
      at += batch.length;
    }
    return false;
  }

  /** At start: bring the membership from the snapshot's up to the host's applied index. */
  private replayConfigEntries(snapshotIndex: number, applied: number): void {
    for (let at = snapshotIndex + 1; at <= applied; ) {
      const batch = this.log.entries(at, applied + 1, this.options.committedBytesPerReadyMax);
      for (const entry of batch) {
        if (entry.type !== EntryType.Config) continue;
        const payload = decodeConfigEntry(entry.data);
        if (payload === undefined) continue;
        const outcome =
          payload.kind === 'leave-joint'
            ? leaveJoint(this.config)
            : applyConfigChange(this.config, payload.steps);
        if (!outcome.ok) continue;
        this.config = outcome.config;
        this.configIndex = entry.index;
        this.configHistory.push({ index: entry.index, config: outcome.config });
      }
      at += batch.length;
    }
  }

  // ---- time ---------------------------------------------------------------------------

  tick(): void {
    if (this.role === Role.Leader) this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed < this.randomizedElectionTimeout) return;
    if (!this.promotable()) return;
    this.electionElapsed = 0;
    campaign(this, this.options.preVote ? 'pre-vote' : 'election');
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      if (this.options.checkQuorum && !this.quorumActive()) {
        this.logger.warn('raft.leader-lost-quorum', this.fields());
        this.becomeFollower(this.term, 0);
        return;
      }
    }
    tickTransfer(this);
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      broadcastHeartbeat(this);
    }
    probeStalled(this);
  }

  /** Check-quorum: did a quorum (this node included) reach us since the last round? */
  private quorumActive(): boolean {
    const activeOf = (id: NodeId): true | undefined =>
      id === this.id || this.progress.get(id)?.recentActive === true ? true : undefined;
    const outcome = configVoteOutcome(this.config, activeOf);
    for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
    return outcome === 'won';
  }

  // ---- messages -----------------------------------------------------------------------

  send(message: Message): void {
    this.messages.push(message);
  }

  sendAfterPersist(message: Message): void {
    this.messagesAfterPersist.push(message);
  }

  /** Every message from the network passes here after its shape was validated. */
  step(m: Message): void {
    if (!this.acceptEnvelope(m)) return;
    if (m.term > this.term) {
      if (!this.onHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.onLowerTerm(m);
      return;
    }
    switch (m.type) {
      case MessageType.PreVote:
      case MessageType.Vote:
        handleVoteRequest(this, m);
        return;
      case MessageType.ReadIndex:
        if (this.role === Role.Leader) handleReadIndexRequest(this, m.requestId, m.from);
        return;
      case MessageType.PreVoteResponse:
      case MessageType.VoteResponse:
        learnCommitFromPeer(this, m);
        break;
      default:
        break;
    }
    if (this.role === Role.Leader) this.stepLeader(m);
    else if (this.role === Role.Follower) this.stepFollower(m);
    else this.stepCandidate(m);
  }

  /**
   * Group, recipient and sender. Messages a leader sends (append, heartbeat, snapshot) are
   * accepted from a sender outside our configuration: it proves itself by its term, and it
   * may lead a configuration we have not applied yet. Answers must come from a member. A
   * vote request from a non-voter is refused when the candidate's log is behind ours: that
   * is a removed server, which must not disrupt the group with its terms. One whose log is
   * at least as up to date as ours may be a voter of a configuration we have not applied
   * yet (refusing it could leave the group without a leader): it is heard, which is safe,
   * as votes are (Raft never needed this filter for safety, only against disruption).
   * The filter holds also when we are outside our own configuration (removed, or re-added
   * as a learner by entries we have not received): we would refuse such a candidate our
   * vote anyway (its log is behind), so hearing it could only raise our term, and our
   * answers at that term depose the leader that is trying to catch us up.
   */
  private acceptEnvelope(m: Message): boolean {
    if (m.group !== this.group) return this.refuse('wrong-group', m, `group ${m.group}`);
    if (m.to !== this.id) return this.refuse('wrong-recipient', m, `addressed to ${m.to}`);
    if (m.from === this.id) return this.refuse('invalid-sender', m, 'a message from ourselves');
    switch (m.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.InstallSnapshot:
      case MessageType.ReadIndexResponse:
        return true;
      case MessageType.TimeoutNow:
        if (isMember(this.config, m.from) || m.from === this.leader) return true;
        return this.refuse('sender-not-in-config', m, 'timeout-now from a non-member');
      case MessageType.PreVote:
      case MessageType.Vote:
        if (isVoter(this.config, m.from)) return true;
        if (this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) return true;
        return this.refuse(
          'sender-not-in-config',
          m,
          'vote request from a non-voter behind our log',
        );
      default:
        if (isMember(this.config, m.from)) return true;
        return this.refuse('sender-not-in-config', m, 'not a member of the configuration');
    }
  }

  private refuse(reason: RejectReason, m: Message, detail: string): false {
    this.reject(reason, m, detail);
    return false;
  }

  /** Returns whether the message should still be handled. */
  private onHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      const heardLeader = this.leader !== 0 && this.electionElapsed < this.options.electionTicks;
      const inLease = heardLeader && (this.options.checkQuorum || this.cannotWin(m));
      if (inLease && !m.transfer) {
        // We heard from a live leader recently: this candidate cannot be needed.
        this.counters.votesIgnoredInLease++;
        this.trace('raft.vote-ignored-in-lease', { from: m.from, candidateTerm: m.term });
        return false;
      }
      if (m.type === MessageType.PreVote) return true; // a pre-vote never changes our term
    }
    if (m.type === MessageType.PreVoteResponse && m.granted) return true;
    const fromLeader =
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.InstallSnapshot;
    this.trace('raft.term-raised', { from: m.from, newTerm: m.term, messageType: m.type });
    this.becomeFollower(m.term, fromLeader ? m.from : 0);
    return true;
  }

  /**
   * Whether a candidate's log is behind an entry we know to be committed: our commit point,
   * or the snapshot our leader of this term is sending us (a snapshot is of applied, hence
   * committed, state). Such a candidate can never win (every quorum holds that entry and
   * refuses it), so the lease may ignore it even without check-quorum: without pre-vote, a
   * removed server that never learned of its removal, or a stale voter, would otherwise
   * raise the term of a member that has not caught up yet, whose answers at that term then
   * depose the leader that is catching it up, again and again.
   */
  private cannotWin(m: VoteRequest): boolean {
    const behind = (index: number, term: number): boolean =>
      m.lastLogTerm < term || (m.lastLogTerm === term && m.lastLogIndex < index);
    const commit = this.log.committed;
    if (commit > 0 && behind(commit, this.log.term(commit) ?? 0)) return true;
    const incoming = this.snapshotReceiver.incoming;
    return (
      incoming !== undefined &&
      incoming.term === this.term &&
      incoming.from === this.leader &&
      behind(incoming.metadata.index, incoming.metadata.term)
    );
  }

  private onLowerTerm(m: Message): void {
    this.counters.staleTermMessages++;
    const fromStaleLeader = m.type === MessageType.Append || m.type === MessageType.Heartbeat;
    if (fromStaleLeader) {
      // A leader cut off while we moved on: tell it our term so it steps down. Without
      // this, pre-vote or the lease (or our own inability to campaign: a learner, or a
      // replica recovering lost entries) could keep it deaf to us forever.
      this.send({
        type: MessageType.AppendResponse,
        group: this.group,
        from: this.id,
        to: m.from,
        term: this.term,
        success: false,
        index: 0,
        hintIndex: 0,
        hintTerm: 0,
      });
    } else if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
      // Refuse with our term (as the paper's RequestVote reply does), so a candidate that
      // fell behind learns the term it must exceed instead of campaigning below it forever.
      this.send({
        type:
          m.type === MessageType.PreVote ? MessageType.PreVoteResponse : MessageType.VoteResponse,
        group: this.group,
        from: this.id,
        to: m.from,
        term: this.term,
        granted: false,
        ...commitPoint(this),
      });
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.AppendResponse:
        handleAppendResponse(this, m);
        return;
      case MessageType.HeartbeatResponse:
        handleHeartbeatResponse(this, m);
        return;
      case MessageType.InstallSnapshotResponse:
        handleSnapshotResponse(this, m);
        return;
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.InstallSnapshot:
        this.reject('impossible-term', m, `another leader (${m.from}) in our term`);
        return;
      default:
        return; // late answers to an earlier candidacy, or a TimeoutNow for ourselves
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Append:
        this.heardFromLeader(m.from);
        handleAppend(this, m);
        return;
      case MessageType.Heartbeat:
        this.heardFromLeader(m.from);
        handleHeartbeat(this, m);
        return;
      case MessageType.InstallSnapshot:
        this.heardFromLeader(m.from);
        handleSnapshotChunk(this, m);
        return;
      case MessageType.TimeoutNow:
        this.trace('raft.timeout-now', { from: m.from });
        campaign(this, 'transfer');
        return;
      case MessageType.ReadIndexResponse:
        this.readStates.push({ requestId: m.requestId, index: m.index });
        return;
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.InstallSnapshot:
        // A leader exists in our term: it won; follow it.
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        return;
      case MessageType.PreVoteResponse:
      case MessageType.VoteResponse:
        handleVoteResponse(this, m);
        return;
      default:
        return;
    }
  }

  private heardFromLeader(from: NodeId): void {
    this.electionElapsed = 0;
    this.leader = from;
  }

  // ---- leader-side batching -------------------------------------------------------------

  hasPendingBroadcast(): boolean {
    return (
      this.appendBroadcastPending || this.commitBroadcastPending || this.heartbeatBroadcastPending
    );
  }

  /** Sends what proposals, commits and reads since the last Ready call for, once. */
  flushBroadcasts(): void {
    if (this.role === Role.Leader) {
      if (this.appendBroadcastPending || this.commitBroadcastPending) {
        broadcastAppend(this, this.commitBroadcastPending);
      }
      if (this.heartbeatBroadcastPending) broadcastHeartbeat(this);
    }
    this.appendBroadcastPending = false;
    this.commitBroadcastPending = false;
    this.heartbeatBroadcastPending = false;
  }

  /** Voters of both sets other than this node. */
  peersToAsk(): NodeId[] {
    return allVoters(this.config).filter((id) => id !== this.id);
  }
}

function newCounters(): RaftCounters {
  const rejected = {} as Record<RejectReason, number>;
  for (const reason of rejectReasons) rejected[reason] = 0;
  return {
    rejected,
    staleTermMessages: 0,
    votesIgnoredInLease: 0,
    campaigns: 0,
    leaderships: 0,
    snapshotsSent: 0,
    snapshotsRestored: 0,
    readsDropped: 0,
    invalidConfigEntries: 0,
    commitBeyondLogAtStart: 0,
    tailProbesSent: 0,
    replicationRestarts: 0,
  };
}

function checkHardState(state: HardState, who: string): void {
  for (const key of ['term', 'vote', 'commit'] as const) {
    const value = state[key];
    if (!(Number.isSafeInteger(value) && value >= 0))
      assert(false, `${who}: hard state ${key} is ${value}`);
  }
}
