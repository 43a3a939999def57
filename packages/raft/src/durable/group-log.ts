/**
 * One group's durable state as the WAL knows it in memory: the compaction point (base),
 * hard state, configuration, snapshot metadata, where each run of entries lies on disk,
 * and a tail of recent entries kept in memory. It serves the core's `LogReader` reads:
 * recent entries from the cache, older ones by reading their record back from disk (and
 * checking its checksums again).
 *
 * Invariants (asserted): runs are sorted and contiguous from base.index + 1 to lastIndex;
 * the cache, when not empty, holds exactly [cacheFirst, lastIndex].
 */
import type {
  ConfigState,
  Entry,
  GroupId,
  HardState,
  Snapshot,
  SnapshotMetadata,
} from '../core/types.ts';
import { assert } from './assert.ts';
import { RaftStorageError } from './errors.ts';
import { cachedEntryOverheadBytes } from './limits.ts';
import { type LogPosition, type ReadBudget, readEntriesBody } from './record-body.ts';
import type { EntryRun, RecordRef } from './record-ref.ts';

export const emptyConfig: ConfigState = { voters: [], outgoingVoters: [], learners: [] };
export const emptyHardState: HardState = { term: 0, vote: 0, commit: 0 };

/** What a group's log needs from the WAL that owns it. */
export interface GroupLogContext {
  /** The verified body of a written record; throws RaftStorageError('CORRUPT') on damage. */
  readBody(ref: RecordRef, group: GroupId): Buffer;
  /** The record no longer matters to this group (its segment may become deletable). */
  release(ref: RecordRef): void;
  cacheBytesChanged(deltaBytes: number): void;
  readSnapshot(group: GroupId, metadata: SnapshotMetadata): Snapshot;
}

export function entryCacheBytes(entry: Entry): number {
  return entry.data.byteLength + cachedEntryOverheadBytes;
}

export class GroupLog {
  base: LogPosition = { index: 0, term: 0 };
  lastIndex = 0;
  hardState: HardState = emptyHardState;
  config: ConfigState = emptyConfig;
  snapshotMetadata: SnapshotMetadata | undefined;
  readonly runs: EntryRun[] = [];
  hardStateRef: RecordRef | undefined;
  configRef: RecordRef | undefined;
  baseRef: RecordRef | undefined;
  snapshotRef: RecordRef | undefined;

  private cache: Entry[] = [];
  private cacheHead = 0;
  private cacheFirst = 1;
  private cacheBytesHeld = 0;

  constructor(
    readonly id: GroupId,
    private readonly context: GroupLogContext,
  ) {}

  get cacheBytes(): number {
    return this.cacheBytesHeld;
  }

  firstIndex(): number {
    return this.base.index + 1;
  }

  term(index: number): number | undefined {
    if (index === this.base.index) return this.base.term;
    if (index < this.base.index || index > this.lastIndex) return undefined;
    if (index >= this.cacheFirst && this.cachedCount() > 0) {
      return (this.cache[this.cacheHead + index - this.cacheFirst] as Entry).term;
    }
    return this.runAt(index).termAt(index);
  }

  entries(low: number, high: number, bytesMax: number): Entry[] {
    if (low < this.firstIndex()) {
      throw new RaftStorageError('COMPACTED', `index ${low} is compacted`, this.id);
    }
    if (high > this.lastIndex + 1) {
      throw new RaftStorageError('UNAVAILABLE', `index ${high - 1} is past the log`, this.id);
    }
    assert(low <= high, 'entries(low, high) needs low <= high');
    const budget: ReadBudget = { bytesMax, bytes: 0, taken: 0, full: false };
    const cacheStart = this.cachedCount() > 0 ? this.cacheFirst : this.lastIndex + 1;
    const result =
      low < cacheStart ? this.readFromDisk(low, Math.min(high, cacheStart), budget) : [];
    for (let index = Math.max(low, cacheStart); index < high && !budget.full; index++) {
      const entry = this.cache[this.cacheHead + index - this.cacheFirst] as Entry;
      if (budget.taken > 0 && budget.bytes + entry.data.byteLength > bytesMax) break;
      result.push(entry);
      budget.bytes += entry.data.byteLength;
      budget.taken += 1;
    }
    return result;
  }

  snapshot(): Snapshot | undefined {
    if (this.snapshotMetadata === undefined) return undefined;
    return this.context.readSnapshot(this.id, this.snapshotMetadata);
  }

  /** Adds a run (replacing the log's suffix from its first index); caches `entries`. */
  appendRun(run: EntryRun, entries: readonly Entry[] | undefined): void {
    assert(run.indexFirst > this.base.index, 'entries must start above the compaction point');
    assert(run.indexFirst <= this.lastIndex + 1, 'entries must not leave a gap in the log');
    this.truncateFrom(run.indexFirst);
    this.runs.push(run);
    this.lastIndex = run.indexLast;
    if (entries === undefined) return;
    assert(entries.length === run.count, 'cached entries must match their run');
    if (this.cachedCount() === 0) {
      this.cache = [];
      this.cacheHead = 0;
      this.cacheFirst = run.indexFirst;
    }
    let bytes = 0;
    for (const entry of entries) {
      this.cache.push(entry);
      bytes += entryCacheBytes(entry);
    }
    this.addCacheBytes(bytes);
  }

  /** Drops every entry at index >= `index`. */
  truncateFrom(index: number): void {
    const runs = this.runs;
    for (
      let last = runs.at(-1);
      last !== undefined && last.indexFirst >= index;
      last = runs.at(-1)
    ) {
      this.context.release(last);
      runs.pop();
    }
    const straddling = runs.at(-1);
    if (straddling !== undefined && straddling.indexLast >= index) {
      straddling.count = index - straddling.indexFirst;
    }
    this.dropCacheFrom(index);
    this.lastIndex = Math.min(this.lastIndex, index - 1);
  }

  /** Drops entries at or below `position.index`, which becomes the base. */
  compactThrough(position: LogPosition): void {
    assert(position.index >= this.base.index, 'compaction never moves backwards');
    const runs = this.runs;
    let dropped = 0;
    while (dropped < runs.length && (runs[dropped] as EntryRun).indexLast <= position.index) {
      this.context.release(runs[dropped] as EntryRun);
      dropped += 1;
    }
    runs.splice(0, dropped);
    this.evictCacheThrough(position.index, true);
    this.base = position;
    if (this.lastIndex < position.index) this.resetEntries(position);
  }

  /** Replaces the whole log by a snapshot's position (an installed snapshot). */
  resetEntries(position: LogPosition): void {
    for (const run of this.runs) this.context.release(run);
    this.runs.length = 0;
    this.dropCacheFrom(-1);
    this.base = position;
    this.lastIndex = position.index;
    this.cacheFirst = position.index + 1;
  }

  /**
   * Drops cached entries at or below `index`; only entries readable from disk unless forced.
   * Returns the index it dropped through: below `index` while later entries are still being
   * written, so the caller asks again once they are.
   */
  evictCacheThrough(index: number, force = false): number {
    const limit = force ? index : Math.min(index, this.readableLast());
    let bytes = 0;
    while (this.cachedCount() > 0 && this.cacheFirst <= limit) {
      bytes += entryCacheBytes(this.cache[this.cacheHead] as Entry);
      this.cache[this.cacheHead] = undefined as unknown as Entry;
      this.cacheHead += 1;
      this.cacheFirst += 1;
    }
    if (this.cacheHead > 1024 && this.cacheHead * 2 > this.cache.length) {
      this.cache = this.cache.slice(this.cacheHead);
      this.cacheHead = 0;
    }
    if (this.cachedCount() === 0) this.cacheFirst = Math.max(this.cacheFirst, this.lastIndex + 1);
    this.addCacheBytes(-bytes);
    return limit;
  }

  /** Releases every record and cached entry (the group is removed or fenced). */
  releaseAll(): void {
    this.resetEntries({ index: 0, term: 0 });
    for (const ref of [this.hardStateRef, this.configRef, this.baseRef, this.snapshotRef]) {
      if (ref !== undefined) this.context.release(ref);
    }
    this.hardStateRef = this.configRef = this.baseRef = this.snapshotRef = undefined;
  }

  /** The last index whose record is written and so can be read back from disk. */
  readableLast(): number {
    const runs = this.runs;
    let i = runs.length - 1;
    while (i >= 0 && (runs[i] as EntryRun).segment < 0) i -= 1;
    return i < 0 ? this.base.index : (runs[i] as EntryRun).indexLast;
  }

  cachedCount(): number {
    return this.cache.length - this.cacheHead;
  }

  private dropCacheFrom(index: number): void {
    const count = this.cachedCount();
    if (count === 0) return;
    const keep = Math.max(0, Math.min(count, index - this.cacheFirst));
    let bytes = 0;
    for (let i = this.cacheHead + keep; i < this.cache.length; i++) {
      bytes += entryCacheBytes(this.cache[i] as Entry);
    }
    this.cache.length = this.cacheHead + keep;
    if (keep === 0) {
      this.cache = [];
      this.cacheHead = 0;
      this.cacheFirst = index < 0 ? this.cacheFirst : index;
    }
    this.addCacheBytes(-bytes);
  }

  private addCacheBytes(delta: number): void {
    if (delta === 0) return;
    this.cacheBytesHeld += delta;
    assert(this.cacheBytesHeld >= 0, 'cache byte count went negative');
    this.context.cacheBytesChanged(delta);
  }

  private runAt(index: number): EntryRun {
    const runs = this.runs;
    let low = 0;
    let high = runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((runs[middle] as EntryRun).indexFirst <= index) low = middle;
      else high = middle - 1;
    }
    const run = runs[low];
    assert(
      run !== undefined && run.indexFirst <= index && index <= run.indexLast,
      'no run holds index',
    );
    return run;
  }

  private readFromDisk(low: number, high: number, budget: ReadBudget): Entry[] {
    const result: Entry[] = [];
    let index = low;
    while (index < high && !budget.full) {
      const run = this.runAt(index);
      assert(run.segment >= 0, 'an uncached entry must be on disk');
      const body = this.context.readBody(run, this.id);
      const end = Math.min(high, run.indexLast + 1);
      for (const entry of readEntriesBody(body, index, end, budget)) result.push(entry);
      index = end;
    }
    return result;
  }
}
