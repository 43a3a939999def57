/**
 * One group's view of the node's WAL: the `LogReader` the Raft core reads, and the calls
 * through which the host stages what a `Ready` asks it to persist. Staged changes are
 * visible to reads at once and become durable at the WAL's next `sync()`; the host must
 * await that before sending `messagesAfterPersist` (votes, append acknowledgements).
 */
import type { ConfigState, Entry, GroupId, HardState, LogReader, Snapshot } from '../core/types.ts';
import type { AmnesiaReason } from './amnesia.ts';
import { assert, assertSafeNonNegative } from './assert.ts';
import { RaftStorageError } from './errors.ts';
import type { GroupLog } from './group-log.ts';
import { entryBytesMax } from './limits.ts';

/** What recovery found for this group when the WAL was opened. */
export interface GroupRecovery {
  readonly group: GroupId;
  readonly lastIndex: number;
  /**
   * Pass to the core (RawNode option `votingDisabledUntilIndex`): the replica must neither
   * vote nor campaign until its log reaches this index; 0 when it may vote.
   */
  readonly votingDisabledUntilIndex: number;
  readonly reasons: readonly AmnesiaReason[];
  /** Set when the group is fenced: it must not be started; remove and re-create it. */
  readonly fault: RaftStorageError | undefined;
}

/** A Ready's persistence part, as the host stages it. */
export interface StagedUpdate {
  /** An installed snapshot: replaces the whole log; persisted before the entries. */
  readonly snapshot?: Snapshot | undefined;
  /** Entries to append; any suffix of the log from `entries[0].index` is replaced. */
  readonly entries?: readonly Entry[] | undefined;
  /**
   * The bootstrap membership, staged once when the group is created: `initialState()`
   * returns it. The core takes later memberships from the snapshot and the log's config
   * entries (an installed snapshot also sets it to the snapshot's).
   */
  readonly config?: ConfigState | undefined;
  readonly hardState?: HardState | undefined;
}

/** The WAL operations a group's storage needs (implemented by RaftWal). */
export interface GroupStager {
  stageEntries(log: GroupLog, entries: readonly Entry[]): void;
  stageHardState(log: GroupLog, hardState: HardState): void;
  stageConfig(log: GroupLog, config: ConfigState): void;
  stageSnapshot(log: GroupLog, snapshot: Snapshot, resetLog: boolean): void;
  stageCompact(log: GroupLog, index: number): void;
  checkWritable(): void;
}

export class GroupStorage implements LogReader {
  fault: RaftStorageError | undefined;
  /** The current fence (cleared once the durable log reaches it). */
  votingDisabledUntilIndex: number;

  constructor(
    readonly log: GroupLog,
    private readonly stager: GroupStager,
    readonly recovery: GroupRecovery,
  ) {
    this.fault = recovery.fault;
    this.votingDisabledUntilIndex = recovery.votingDisabledUntilIndex;
  }

  get id(): GroupId {
    return this.log.id;
  }

  initialState(): { hardState: HardState; config: ConfigState } {
    this.checkHealthy();
    return { hardState: this.log.hardState, config: this.log.config };
  }

  firstIndex(): number {
    this.checkHealthy();
    return this.log.firstIndex();
  }

  lastIndex(): number {
    this.checkHealthy();
    return this.log.lastIndex;
  }

  term(index: number): number | undefined {
    this.checkHealthy();
    return this.log.term(index);
  }

  entries(low: number, high: number, bytesMax: number): Entry[] {
    this.checkHealthy();
    return this.log.entries(low, high, bytesMax);
  }

  snapshot(): Snapshot | undefined {
    this.checkHealthy();
    return this.log.snapshot();
  }

  /** Stages a Ready's snapshot, entries, config and hard state, in that order. */
  stage(update: StagedUpdate): void {
    this.checkStageable();
    if (update.snapshot !== undefined) this.stageInstalledSnapshot(update.snapshot);
    if (update.entries !== undefined && update.entries.length > 0)
      this.stageEntries(update.entries);
    if (update.config !== undefined) this.stager.stageConfig(this.log, update.config);
    if (update.hardState !== undefined) this.stageHardState(update.hardState);
  }

  /**
   * The host expects no more reads of entries at or below `index` soon (applied here and,
   * on a leader, held by every follower): they leave the entry cache now (those already
   * written; later reads come from disk). Entries that die young cost the garbage
   * collector little; kept until the cache bound pushed them out, they lived long enough
   * to be copied and promoted first. Returns the index released through: entries whose
   * records are still being written stay until a later call.
   */
  releaseCachedThrough(index: number): number {
    if (this.fault !== undefined) return index;
    return this.log.evictCacheThrough(index);
  }

  /** Stages dropping entries at or below `index` (kept in a snapshot the host saved). */
  compact(index: number): void {
    this.checkStageable();
    assertSafeNonNegative(index, 'compaction index');
    if (index <= this.log.base.index) return;
    if (!(index <= this.log.lastIndex))
      assert(false, `cannot compact past the last index ${this.log.lastIndex}`);
    this.stager.stageCompact(this.log, index);
  }

  /** Stages a snapshot taken locally of the applied state; the log is left as it is. */
  saveSnapshot(snapshot: Snapshot): void {
    this.checkStageable();
    const { index } = snapshot.metadata;
    assert(index <= this.log.lastIndex, 'a local snapshot cannot be ahead of the log');
    assert(index >= this.log.base.index, 'a local snapshot cannot be behind the compaction point');
    assert(this.log.term(index) === snapshot.metadata.term, 'snapshot term disagrees with the log');
    this.stager.stageSnapshot(this.log, snapshot, false);
  }

  private stageInstalledSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    assertSafeNonNegative(index, 'snapshot index');
    assertSafeNonNegative(term, 'snapshot term');
    const current = this.log.snapshotMetadata?.index ?? 0;
    assert(index >= current, 'an installed snapshot must not be older than the current one');
    assert(
      index >= this.log.base.index,
      'an installed snapshot must not be behind the compaction point',
    );
    this.stager.stageSnapshot(this.log, snapshot, true);
  }

  private stageEntries(entries: readonly Entry[]): void {
    const first = entries[0] as Entry;
    if (!(first.index > this.log.base.index))
      assert(false, `entries at ${first.index} are compacted`);
    if (!(first.index <= this.log.lastIndex + 1))
      assert(false, `entries at ${first.index} leave a gap`);
    let previousTerm = this.log.term(first.index - 1) ?? 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      assert(
        Number.isSafeInteger(entry.term) && entry.term >= previousTerm,
        'entry terms must not decrease',
      );
      assert(entry.term >= 1, 'entry terms start at 1');
      assert(entry.index === first.index + i, 'staged entries must be contiguous');
      assert(entry.data.byteLength <= entryBytesMax, 'entry data is too large');
      previousTerm = entry.term;
    }
    this.stager.stageEntries(this.log, entries);
  }

  private stageHardState(hardState: HardState): void {
    const current = this.log.hardState;
    assertSafeNonNegative(hardState.term, 'hard-state term');
    assertSafeNonNegative(hardState.vote, 'hard-state vote');
    assertSafeNonNegative(hardState.commit, 'hard-state commit');
    assert(hardState.term >= current.term, 'the term must never go back');
    if (hardState.term === current.term && current.vote !== 0) {
      assert(hardState.vote === current.vote, 'a vote once cast in a term must not change');
    }
    assert(hardState.commit <= this.log.lastIndex, 'commit cannot pass the last index');
    this.stager.stageHardState(this.log, hardState);
  }

  private checkHealthy(): void {
    if (this.fault !== undefined) {
      throw new RaftStorageError('GROUP_FENCED', `group ${this.id} is fenced`, this.id, {
        cause: this.fault,
      });
    }
  }

  private checkStageable(): void {
    this.checkHealthy();
    this.stager.checkWritable();
  }
}
