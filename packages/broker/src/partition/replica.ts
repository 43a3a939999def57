/**
 * One partition replica on this node: the state machine of the partition's Raft group.
 *
 * Apply (every replica, in log order): each data entry's batches are appended to the
 * partition log, where they get their offsets, and recorded in the producer state. The log
 * holds only committed records, so its end is the high watermark.
 *
 * Produce (leader only): batches are checked, sequenced (offsets and producer sequences,
 * see LeaderSequencer), proposed as one entry, and answered when the acks level is met.
 * Fetch (leader only): committed batches as stored, with long polling.
 */
import {
  type Acks,
  ErrorCode,
  ProtocolError,
  RecordBatchView,
  stampBaseOffset,
  stampPartitionLeaderEpoch,
} from '@tributary/protocol';
import { type Entry, EntryType, Role, type Snapshot, type SoftState } from '@tributary/raft';
import type { PartitionLog, ReadResult } from '@tributary/storage';
import { ReplicaFencedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { GroupStateMachine, ReplicaGroup } from '../replication/replica-group.ts';
import {
  type ApplyCheckpoint,
  decodeApplyCheckpoint,
  writeApplyCheckpoint,
} from './apply-checkpoint.ts';
import { decodePartitionEntry, encodePartitionEntry } from './entry.ts';
import { ProducerStateTable } from './producer-state.ts';
import { type CopyRetry, type CopySource, rebuildLogFromLeader } from './replica-copy.ts';
import { LeaderSequencer } from './sequencer.ts';

interface ApplyWaiter {
  readonly term: number;
  resolve(baseOffset: number): void;
  reject(error: unknown): void;
}

export interface ProduceOutcome {
  readonly baseOffset: number;
  readonly logStartOffset: number;
}

export interface PartitionReplicaOptions {
  readonly topic: string;
  readonly partition: number;
  readonly groupId: number;
  readonly nodeId: number;
  readonly directory: string;
  readonly log: PartitionLog;
  readonly checkpoint: ApplyCheckpoint;
  readonly logger: Logger;
  /** Where to copy records from when a snapshot arrives (the current leader). */
  readonly copySource: (replica: PartitionReplica) => CopySource;
  /** How that copy retries (replica-copy.ts's default unless a test says otherwise). */
  readonly copyRetry?: CopyRetry;
}

function notLeader(leader: number): ProtocolError {
  return new ProtocolError(
    ErrorCode.NotLeader,
    undefined,
    leader > 0 ? { details: { leaderId: leader } } : {},
  );
}

/** Told when this replica starts serving as leader (its term's earlier entries applied) and stops. */
export interface LeadershipListener {
  leaderReady(replica: PartitionReplica, term: number): void;
  leadershipLost(replica: PartitionReplica): void;
}

export class PartitionReplica implements GroupStateMachine {
  listener: LeadershipListener | undefined;
  readonly topic: string;
  readonly partition: number;
  readonly groupId: number;
  private currentLog: PartitionLog;
  private readonly options: PartitionReplicaOptions;
  private readonly logger: Logger;
  private producers: ProducerStateTable;
  private appliedIndex: number;
  private appliedTerm: number;
  private group: ReplicaGroup | undefined;
  private role: Role = Role.Follower;
  private term = 0;
  private sequencer: LeaderSequencer | undefined;
  /** The term whose first entry this replica applied as its leader (0: none). */
  private caughtUpTerm = 0;
  private readonly applyWaiters = new Map<number, ApplyWaiter>();
  private readonly dataWaiters = new Set<() => void>();
  private fencedBy: Error | undefined;
  /** The checkpoint this replica last wrote (undefined: none since it started or restored). */
  private lastCheckpoint: ApplyCheckpoint | undefined;
  /**
   * Set while an entry (some of its batches appended, its index not yet applied) or a
   * snapshot is being applied: a checkpoint waits for it, so it never names an index whose
   * batches are not all in the log, nor holds batches of an entry past its index.
   */
  private stateChanging: Promise<void> | undefined;
  /** A snapshot is being installed (copying records can take long; it writes its own checkpoint). */
  private restoring = false;
  /** The restore's copy has reported reads failing for a while (see restoreStuck). */
  private copyStuck = false;
  /** Aborted by close(): a snapshot's record copy stops waiting for a leader. */
  private readonly closing = new AbortController();
  /** The latest checkpoint() call: they run one at a time (each writes the same file). */
  private checkpointing: Promise<unknown> = Promise.resolve();

  constructor(options: PartitionReplicaOptions) {
    this.options = options;
    this.topic = options.topic;
    this.partition = options.partition;
    this.groupId = options.groupId;
    this.currentLog = options.log;
    this.logger = options.logger;
    this.producers = ProducerStateTable.fromImage(options.checkpoint.producers);
    this.appliedIndex = options.checkpoint.index;
    this.appliedTerm = options.checkpoint.term;
  }

  /** The partition log (replaced when a snapshot is installed). */
  get log(): PartitionLog {
    return this.currentLog;
  }

  attach(group: ReplicaGroup): void {
    this.group = group;
    // A log that failed (a read or write the disk refused) cannot back this replica any
    // more: it leaves the Raft group, so a leader here does not keep the partition
    // unavailable by heartbeating without being able to serve.
    this.log.onFenced((cause) => this.fence('its partition log failed', cause));
    if (this.fencedBy) group.fence(this.fencedBy);
  }

  get highWatermark(): number {
    return this.log.logEndOffset;
  }

  /** Installing a snapshot: copying its records from the leader (see replica-copy.ts). */
  get isRestoring(): boolean {
    return this.restoring;
  }

  /**
   * Restoring, and the copy's reads have kept failing for at least its warning interval (a
   * minute): the replica is out of its group until a leader answers. `/health` lists it.
   */
  get restoreStuck(): boolean {
    return this.restoring && this.copyStuck;
  }

  get isLeader(): boolean {
    return this.role === Role.Leader;
  }

  /** Why this replica is out: its own fence, its log's, or its Raft group's on this node. */
  get fenced(): Error | undefined {
    return this.fencedBy ?? this.log.fenced ?? this.group?.fault ?? undefined;
  }

  // ---- state machine ------------------------------------------------------------------

  async apply(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      if (entry.index <= this.appliedIndex) continue; // replayed below the checkpoint
      if (entry.type === EntryType.Data)
        await this.changingState(this.applyData(entry).then(() => this.noteApplied(entry)));
      else this.noteApplied(entry);
      if (entry.type === EntryType.Noop && this.role === Role.Leader && entry.term === this.term) {
        this.sequencer = LeaderSequencer.startTerm(
          this.term,
          this.producers,
          this.log.logEndOffset,
        );
        this.caughtUpTerm = this.term;
        this.listener?.leaderReady(this, this.term);
      }
    }
    this.sequencer?.noteApplied(this.log.logEndOffset);
    for (const wake of this.dataWaiters) wake();
  }

  private noteApplied(entry: Entry): void {
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
  }

  /** Marks the state as between two entries until `work` settles (see stateChanging). */
  private async changingState<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => {},
      () => {},
    );
    this.stateChanging = settled;
    try {
      return await work;
    } finally {
      if (this.stateChanging === settled) this.stateChanging = undefined;
    }
  }

  private async applyData(entry: Entry): Promise<void> {
    const waiter = this.applyWaiters.get(entry.index);
    this.applyWaiters.delete(entry.index);
    let firstOffset = -1;
    try {
      for (const bytes of decodePartitionEntry(entry.data)) {
        const batch = new RecordBatchView(bytes);
        const expected = this.log.logEndOffset;
        if (batch.baseOffset !== expected) {
          throw this.fence(
            `entry ${entry.index} batch at offset ${batch.baseOffset}, log ends at ${expected}`,
          );
        }
        const check = this.producers.check(batch);
        if (check.kind !== 'append') {
          throw this.fence(
            `entry ${entry.index}: producer ${batch.producerId} batch is ${check.kind} at apply`,
          );
        }
        // The leader checked the CRC at produce; decodePartitionEntry checked the frame's
        // xxhash64, which has covered the bytes since.
        const appended = await this.log.append(bytes, { crcAlreadyVerified: true });
        this.producers.record(batch, appended.baseOffset);
        if (firstOffset < 0) firstOffset = appended.baseOffset;
      }
    } catch (error) {
      waiter?.reject(error);
      throw error instanceof ReplicaFencedError
        ? error
        : this.fence(`applying entry ${entry.index} failed`, error);
    }
    if (!waiter) return;
    if (waiter.term === entry.term) waiter.resolve(firstOffset);
    else waiter.reject(notLeader(this.group?.status().leader ?? 0));
  }

  private fence(reason: string, cause?: unknown): ReplicaFencedError {
    const error = new ReplicaFencedError(
      `partition ${this.topic}/${this.partition} fenced: ${reason}`,
      { cause },
    );
    if (!this.fencedBy) {
      this.fencedBy = error;
      this.logger.error('partition replica fenced', {
        topic: this.topic,
        partition: this.partition,
        reason,
        cause: String(cause ?? ''),
      });
      this.group?.fence(error);
    }
    return error;
  }

  /**
   * A snapshot replaces the replica's state: the records up to its end offset are copied
   * from the leader (see replica-copy.ts), the producer state taken from the image.
   */
  restore(snapshot: Snapshot): Promise<void> {
    // A checkpoint already running captured the state before this snapshot: its file must
    // be written before this one's, not after. Later ones wait for the snapshot.
    const earlierCheckpoints = this.checkpointing;
    this.restoring = true;
    return this.changingState(this.restoreFrom(snapshot, earlierCheckpoints)).finally(() => {
      this.restoring = false;
      this.copyStuck = false;
    });
  }

  private async restoreFrom(snapshot: Snapshot, earlierCheckpoints: Promise<unknown>) {
    const image = decodeApplyCheckpoint(snapshot.data);
    if (!image)
      throw this.fence(`snapshot at index ${snapshot.metadata.index} holds no apply checkpoint`);
    this.logger.info('partition snapshot: copying records from the leader', {
      topic: this.topic,
      partition: this.partition,
      index: snapshot.metadata.index,
      nextOffset: image.nextOffset,
    });
    await earlierCheckpoints;
    const config = this.currentLog.config;
    await this.currentLog.close();
    const rebuilt = await rebuildLogFromLeader({
      directory: this.options.directory,
      config,
      image,
      source: this.options.copySource(this),
      signal: this.closing.signal,
      ...(this.options.copyRetry ? { retry: this.options.copyRetry } : {}),
      onGap: (from, to) =>
        this.logger.warn('partition snapshot: the leader has no records below the snapshot end', {
          topic: this.topic,
          partition: this.partition,
          from,
          to,
        }),
      onStuck: (failure, failingForMs) => {
        this.copyStuck = true;
        this.logger.warn('partition snapshot: reads from the leader keep failing, retrying', {
          topic: this.topic,
          partition: this.partition,
          failingForSeconds: Math.round(failingForMs / 1000),
          error: (failure as Error).message,
        });
      },
      onRecovered: () => {
        this.copyStuck = false;
        this.logger.info('partition snapshot: reads from the leader succeed again', {
          topic: this.topic,
          partition: this.partition,
        });
      },
    });
    if (this.closing.signal.aborted) {
      // Closed while the last chunk was being written: nobody will close this log.
      await rebuilt.close();
      throw this.closing.signal.reason;
    }
    this.currentLog = rebuilt;
    this.producers = ProducerStateTable.fromImage(image.producers);
    this.lastCheckpoint = undefined;
    // The image may be newer than the snapshot's index: entries up to it are skipped.
    this.appliedIndex = Math.max(image.index, snapshot.metadata.index);
    this.appliedTerm = image.index >= snapshot.metadata.index ? image.term : snapshot.metadata.term;
    // The copied records durable before the checkpoint that names them (found by review):
    // after a power loss the log ended below the checkpoint and was set aside as damaged.
    const durable = await rebuilt.flush();
    if (durable < image.nextOffset)
      throw this.fence(`copied log flushed to ${durable}, below ${image.nextOffset}`);
    await writeApplyCheckpoint(this.options.directory, {
      ...image,
      index: this.appliedIndex,
      term: this.appliedTerm,
    });
    for (const wake of this.dataWaiters) wake();
  }

  onSoftState(state: SoftState, term: number): void {
    const wasLeader = this.role === Role.Leader;
    const previousTerm = this.term;
    this.role = state.role;
    this.term = term;
    if (wasLeader && (state.role !== Role.Leader || term !== previousTerm))
      this.loseLeadership(state.leader);
  }

  private loseLeadership(leader: number): void {
    this.sequencer = undefined;
    this.caughtUpTerm = 0;
    this.listener?.leadershipLost(this);
    const error = notLeader(leader);
    for (const waiter of this.applyWaiters.values()) waiter.reject(error);
    this.applyWaiters.clear();
  }

  // ---- produce ------------------------------------------------------------------------

  /**
   * Appends checked batches (header and CRC already verified by the caller). Resolves per
   * `acks`; rejects with a ProtocolError. `acks` 0 is handled by the caller not waiting.
   */
  async produce(
    batches: readonly Uint8Array[],
    acks: Acks,
    timeoutMs: number,
  ): Promise<ProduceOutcome> {
    const group = this.group;
    if (!group || this.fenced)
      throw new ProtocolError(ErrorCode.StorageError, 'replica unavailable');
    const sequencer = this.sequencer;
    const status = group.status();
    if (status.role !== Role.Leader) throw notLeader(status.leader);
    if (!sequencer || sequencer.term !== status.term) {
      throw new ProtocolError(
        ErrorCode.LeaderNotAvailable,
        'leader is still applying earlier terms',
      );
    }
    const views = batches.map((b) => new RecordBatchView(b));
    const duplicate = await this.answerDuplicate(views, sequencer, acks, timeoutMs);
    if (duplicate) return duplicate;
    const baseOffsets = this.sequence(views, sequencer);
    const proposed = group.propose(encodePartitionEntry(batches));
    if (!proposed.ok) {
      this.sequencer = undefined; // its speculative state now includes batches never proposed
      this.rebuildSequencerWhenCaughtUp();
      if (proposed.error.code === 'not-leader') throw notLeader(proposed.error.leader ?? 0);
      throw new ProtocolError(ErrorCode.NotEnoughReplicas, proposed.error.message);
    }
    const at = { index: proposed.indexLast, term: proposed.term };
    sequencer.noteProposed(baseOffsets, at);
    await this.waitForAcks(at, acks, timeoutMs);
    return { baseOffset: baseOffsets[0] as number, logStartOffset: this.log.logStartOffset };
  }

  /**
   * A single retried batch of an idempotent producer already written: its first offset, once
   * the retry's own `acks` hold for it. A retry of an acks=all send whose first attempt timed
   * out (a replica down) must not succeed on the strength of a quorum alone.
   */
  private async answerDuplicate(
    views: RecordBatchView[],
    sequencer: LeaderSequencer,
    acks: Acks,
    timeoutMs: number,
  ) {
    if (views.length !== 1) return undefined;
    const check = sequencer.check(views[0] as RecordBatchView);
    if (check.kind !== 'duplicate') return undefined;
    const inflight = sequencer.inflightByOffset.get(check.baseOffset);
    const needed = acks === 'all' ? 'all' : 'quorum';
    if (inflight) await this.waitForAcks(inflight, needed, timeoutMs);
    else if (needed === 'all') {
      // Applied already, at an index no longer tracked: everything applied so far covers it.
      const status = this.group!.status();
      await this.waitForAcks({ index: this.appliedIndex, term: status.term }, 'all', timeoutMs);
    }
    return { baseOffset: check.baseOffset, logStartOffset: this.log.logStartOffset };
  }

  private sequence(views: RecordBatchView[], sequencer: LeaderSequencer): number[] {
    const baseOffsets: number[] = [];
    for (const view of views) {
      const check = sequencer.check(view);
      if (check.kind !== 'append' && baseOffsets.length > 0) {
        this.sequencer = undefined; // earlier batches of this request were sequenced
        this.rebuildSequencerWhenCaughtUp();
      }
      if (check.kind === 'duplicate') {
        throw new ProtocolError(
          ErrorCode.DuplicateSequence,
          'a duplicate batch must be sent alone',
        );
      }
      if (check.kind === 'refused') throw new ProtocolError(check.error, check.message);
      const baseOffset = sequencer.assign(view);
      stampBaseOffset(view.bytes, baseOffset);
      stampPartitionLeaderEpoch(view.bytes, sequencer.term);
      baseOffsets.push(baseOffset);
    }
    return baseOffsets;
  }

  /** After a proposal fails, wait until every earlier proposal applied, then sequence again. */
  private rebuildSequencerWhenCaughtUp(): void {
    const group = this.group;
    if (!group) return;
    const term = group.status().term;
    void group
      .waitUntil(
        (s) => s.role === Role.Leader && s.term === term && this.appliedIndex >= s.persistedIndex,
        { timeoutMs: 30_000 },
      )
      .then((caughtUp) => {
        if (caughtUp && !this.sequencer && this.role === Role.Leader && this.term === term) {
          this.sequencer = LeaderSequencer.startTerm(term, this.producers, this.log.logEndOffset);
        }
      });
  }

  private async waitForAcks(
    at: { index: number; term: number },
    acks: Acks,
    timeoutMs: number,
  ): Promise<void> {
    const group = this.group as ReplicaGroup;
    const timedOut = () =>
      new ProtocolError(
        ErrorCode.RequestTimedOut,
        `acks ${acks} not reached in ${timeoutMs} ms; the batch may still be written`,
      );
    if (acks === 'leader') {
      const persisted = await group.waitUntil(
        (s) => s.term === at.term && s.persistedIndex >= at.index,
        { timeoutMs },
      );
      if (!persisted) throw timedOut();
      return;
    }
    await this.waitApplied(at, timeoutMs, timedOut);
    if (acks === 'all') {
      const everywhere = await group.waitUntil(
        (s) => s.term === at.term && s.durableOnAllVotersIndex >= at.index,
        { timeoutMs },
      );
      if (!everywhere)
        throw new ProtocolError(
          ErrorCode.NotEnoughReplicasAfterAppend,
          'committed, but not yet durable on every replica',
        );
    }
  }

  private waitApplied(
    at: { index: number; term: number },
    timeoutMs: number,
    timedOut: () => Error,
  ): Promise<number> {
    // A leader's own entries are never overwritten while it leads, so an entry of this
    // term already applied is committed.
    if (at.index <= this.appliedIndex) return Promise.resolve(-1);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.applyWaiters.delete(at.index);
        reject(timedOut());
      }, timeoutMs);
      this.applyWaiters.set(at.index, {
        term: at.term,
        resolve: (offset) => {
          clearTimeout(timer);
          resolve(offset);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  // ---- fetch --------------------------------------------------------------------------

  requireLeader(): void {
    // The core's role now, not the one last reported to this replica: reports wait behind
    // the group's queued applies, and stop for good when the host fails.
    const status = this.group?.status();
    if (!status || status.role !== Role.Leader) throw notLeader(status?.leader ?? 0);
    if (this.fenced) throw new ProtocolError(ErrorCode.StorageError, 'replica unavailable');
  }

  /**
   * Whether this replica leads and has applied its term's first entry. Only then is every
   * record an earlier leader committed (and may have served) in its log: a follower applies
   * only what it knows is committed, so a leader just elected may still end below offsets
   * readers have seen. Its log end is not the partition's end until then.
   */
  get caughtUpAsLeader(): boolean {
    if (this.role !== Role.Leader || this.caughtUpTerm !== this.term) return false;
    // The role and term reported here lag the core's (see requireLeader): a leader that has
    // stepped down, or leads a later term it has not applied yet, is not caught up.
    const status = this.group?.status();
    return status?.role === Role.Leader && status.term === this.caughtUpTerm;
  }

  /** Throws the retriable OFFSET_NOT_AVAILABLE unless `caughtUpAsLeader`. */
  requireCaughtUp(): void {
    if (!this.caughtUpAsLeader)
      throw new ProtocolError(
        ErrorCode.OffsetNotAvailable,
        `${this.topic}/${this.partition}: the leader is still applying earlier terms`,
      );
  }

  /**
   * Committed batches from `offset`; empty at the high watermark. A position past the log
   * end is out of range only once the leader has caught up (see caughtUpAsLeader): before,
   * it may be a position the previous leader served.
   */
  read(offset: number, maxBytes: number): Promise<ReadResult> {
    if (offset > this.log.logEndOffset) this.requireCaughtUp();
    return this.log.read(offset, maxBytes);
  }

  /**
   * Calls `wake` once the log grows past `offset` (at once if it has); returns the function
   * that stops waiting. A plain callback, not an AbortSignal: every long-polling Fetch waits
   * on its partitions each round, and a signal with its listeners costs tens of µs.
   */
  onDataPast(offset: number, wake: () => void): () => void {
    if (this.log.logEndOffset > offset) {
      wake();
      return () => {};
    }
    const check = () => {
      if (this.log.logEndOffset > offset) {
        this.dataWaiters.delete(check);
        wake();
      }
    };
    this.dataWaiters.add(check);
    return () => this.dataWaiters.delete(check);
  }

  // ---- durability ---------------------------------------------------------------------

  /**
   * Flushes the log and records the apply checkpoint; returns it (undefined when fenced, or
   * while a snapshot is being installed). Taken between two entries, never inside one.
   * A replica with nothing applied since its last checkpoint returns that one unwritten:
   * every replica is checkpointed each interval, and an idle one would otherwise cost a
   * flush, a file write and three fsyncs each time, for nothing.
   */
  checkpoint(): Promise<ApplyCheckpoint | undefined> {
    const next = this.checkpointing.then(() => this.checkpointBetweenEntries());
    this.checkpointing = next.catch(() => {});
    return next;
  }

  private async checkpointBetweenEntries(): Promise<ApplyCheckpoint | undefined> {
    while (this.stateChanging !== undefined) {
      // Waiting out a snapshot's copy would hold up every other replica's checkpoint.
      if (this.restoring) return undefined;
      await this.stateChanging;
    }
    if (this.fenced) return undefined;
    const last = this.lastCheckpoint;
    if (
      last !== undefined &&
      last.index === this.appliedIndex &&
      last.term === this.appliedTerm &&
      last.nextOffset === this.log.logEndOffset &&
      last.logStartOffset === this.log.logStartOffset
    ) {
      return last;
    }
    const checkpoint: ApplyCheckpoint = {
      index: this.appliedIndex,
      term: this.appliedTerm,
      nextOffset: this.log.logEndOffset,
      logStartOffset: this.log.logStartOffset,
      producers: this.producers.toImage(),
    };
    const durable = await this.log.flush();
    if (durable < checkpoint.nextOffset)
      throw this.fence(`flush reached ${durable}, below ${checkpoint.nextOffset}`);
    await writeApplyCheckpoint(this.options.directory, checkpoint);
    this.lastCheckpoint = checkpoint;
    return checkpoint;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  async close(): Promise<void> {
    this.closing.abort(new ReplicaFencedError(`partition ${this.topic}/${this.partition} closed`));
    this.loseLeadership(0);
    for (const wake of this.dataWaiters) wake();
    // A restore stops at the abort and closes the log it was copying into: let it, so that
    // no log of this replica is still open on its directory once close() returns (a replica
    // assigned here again opens that directory).
    await this.stateChanging;
    await this.log.close();
  }
}
