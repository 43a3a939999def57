/**
 * The log as the core sees it: the host's durable log (read through LogReader) with the
 * unstable buffer on top, plus the commit and applied indexes.
 *
 *   firstIndex-1 (snapshot) ... applied <= committed <= lastIndex
 *   [ durable, read through LogReader        ][ unstable, not yet persisted ]
 */
import { assert } from './assert.ts';
import type { Entry, LogReader, Snapshot } from './types.ts';
import { Unstable } from './unstable.ts';

export type AppendOutcome =
  | { readonly kind: 'appended'; readonly lastNewIndex: number }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'conflicts-with-committed'; readonly index: number };

export class RaftLog {
  readonly storage: LogReader;
  readonly unstable: Unstable;
  committed: number;
  applied: number;
  /**
   * Committed entries handed to the host for applying, up to here (at least `applied`):
   * with pipelined Readies, a later Ready hands out only entries after an earlier one's.
   */
  applying: number;

  constructor(storage: LogReader, committed: number, applied: number) {
    this.storage = storage;
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = committed;
    this.applied = applied;
    this.applying = applied;
  }

  firstIndex(): number {
    return this.unstable.firstIndexIfSnapshot() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndexIfAny() ?? this.storage.lastIndex();
  }

  /** Term at `index`, or undefined when it is compacted away or beyond the log. */
  term(index: number): number | undefined {
    const unstable = this.unstable;
    if (index >= unstable.offset || unstable.snapshot !== undefined) {
      return unstable.termIfKnown(index);
    }
    return this.storage.term(index);
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    // Messages built only on failure: this runs for every message and every append.
    if (term === undefined)
      assert(false, `raft log: no term for the last index ${this.lastIndex()}`);
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Whether a log ending at (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** The snapshot a leader would send: the one being installed, else the durable one. */
  snapshot(): Snapshot | undefined {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Entries in [low, high), at least one if any, stopping before `bytesMax`. */
  entries(low: number, high: number, bytesMax: number): Entry[] {
    if (low < this.firstIndex()) assert(false, `raft log: entries from ${low} below first index`);
    if (high > this.lastIndex() + 1)
      assert(false, `raft log: entries up to ${high} beyond last index`);
    if (low >= high) return [];
    const split = this.unstable.offset;
    if (high <= split) return this.storage.entries(low, high, bytesMax);
    if (low >= split) return limitBytes(this.unstable.slice(low, high), bytesMax);
    const stored = this.storage.entries(low, split, bytesMax);
    if (stored.length < split - low) return stored;
    let used = 0;
    for (const entry of stored) used += entry.data.byteLength;
    const rest = limitBytes(this.unstable.slice(split, high), bytesMax - used, false);
    for (const entry of rest) stored.push(entry);
    return stored;
  }

  /**
   * A follower's append: if the log holds (prevIndex, prevTerm), append what is new,
   * truncating a conflicting uncommitted suffix.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): AppendOutcome {
    if (!this.matchTerm(prevIndex, prevTerm)) return { kind: 'mismatch' };
    const lastNewIndex = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict === 0) return { kind: 'appended', lastNewIndex };
    if (conflict <= this.committed) return { kind: 'conflicts-with-committed', index: conflict };
    const first = (entries[0] as Entry).index;
    this.append(conflict === first ? entries : entries.slice(conflict - first));
    return { kind: 'appended', lastNewIndex };
  }

  /** Appends entries whose first index is at most lastIndex + 1. Returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const first = (entries[0] as Entry).index;
    if (first <= this.committed)
      assert(false, `raft log: append at ${first} would rewrite committed entries`);
    if (first > this.lastIndex() + 1) assert(false, `raft log: append at ${first} leaves a gap`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** The first index among `entries` that is new or conflicts, or 0 if all are present. */
  findConflict(entries: readonly Entry[]): number {
    const lastIndex = this.lastIndex();
    for (const entry of entries) {
      if (entry.index > lastIndex) return entry.index;
      if (this.term(entry.index) !== entry.term) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index at or below `index` whose term is at most `term`, with that term:
   * where a log that has `term` at `index` can still match ours. Term 0 when unknown.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let at = Math.min(index, this.lastIndex());
    const floor = this.firstIndex() - 1;
    for (; at >= floor; at--) {
      const found = this.term(at);
      if (found === undefined) return { index: at, term: 0 };
      if (found <= term) return { index: at, term: found };
    }
    return { index: at, term: 0 };
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex())
      assert(false, `raft log: commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    if (index > this.committed)
      assert(false, `raft log: applied ${index} beyond committed ${this.committed}`);
    this.applied = index;
  }

  /** Committed entries not yet handed to the host for applying; marks them as applying. */
  nextCommittedEntries(bytesMax: number): Entry[] {
    const low = Math.max(this.applied + 1, this.applying + 1, this.firstIndex());
    const high = Math.min(this.committed, this.lastIndex()) + 1;
    if (low >= high) return [];
    const entries = this.entries(low, high, bytesMax);
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applying = last.index;
    return entries;
  }

  hasNextCommittedEntries(): boolean {
    const low = Math.max(this.applied + 1, this.applying + 1, this.firstIndex());
    return low <= Math.min(this.committed, this.lastIndex());
  }

  /**
   * A snapshot from the leader: fast-forward if we already hold its last entry, else
   * replace the whole log with it. Returns whether the log was replaced.
   */
  restore(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.metadata;
    if (index <= this.committed) return false;
    if (this.matchTerm(index, term)) {
      this.commitTo(index);
      return false;
    }
    this.unstable.restore(snapshot);
    this.committed = index;
    return true;
  }
}

function limitBytes(entries: Entry[], bytesMax: number, atLeastOne = true): Entry[] {
  let used = 0;
  for (let i = 0; i < entries.length; i++) {
    used += (entries[i] as Entry).data.byteLength;
    if (used > bytesMax && (i > 0 || !atLeastOne)) return entries.slice(0, i);
  }
  return entries;
}
