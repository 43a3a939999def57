/**
 * The part of the log the host has not yet confirmed durable: at most one incoming
 * snapshot and the entries after it (or after the durable log). Entries leave this buffer
 * when `advance()` reports them persisted, and only if they were not replaced meanwhile.
 *
 * `offset` is the index of `entries[0]`. When it is at or below the durable log's last
 * index, the durable suffix from `offset` on is stale and will be overwritten by the host.
 */
import { assert } from './assert.ts';
import type { Entry, Snapshot } from './types.ts';

export class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;
  /**
   * The first index not yet handed to the host in a Ready. The host may persist several
   * Readies at once (pipelined), so each takes only what no earlier one carries; an
   * append that replaces entries in progress moves it back so they are persisted again.
   */
  offsetInProgress: number;
  /** The unstable snapshot is in a Ready being persisted. */
  snapshotInProgress = false;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** Entries (and the snapshot) not yet handed to the host in a Ready. */
  hasNotInProgress(): boolean {
    return (
      this.offsetInProgress < this.offset + this.entries.length ||
      (this.snapshot !== undefined && !this.snapshotInProgress)
    );
  }

  /** Hands the entries not yet in progress to a Ready and marks them in progress. */
  takeNotInProgress(): Entry[] {
    const taken = this.entries.slice(this.offsetInProgress - this.offset);
    this.offsetInProgress = this.offset + this.entries.length;
    return taken;
  }

  /** The first index after the unstable snapshot, if there is one. */
  firstIndexIfSnapshot(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  lastIndexIfAny(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== undefined) return this.snapshot.metadata.index;
    return undefined;
  }

  /** The term at `index` if this buffer decides it, else undefined (ask the durable log). */
  termIfKnown(index: number): number | undefined {
    if (index < this.offset) {
      const snapshot = this.snapshot;
      if (snapshot !== undefined && snapshot.metadata.index === index)
        return snapshot.metadata.term;
      return undefined;
    }
    const entry = this.entries[index - this.offset];
    return entry?.term;
  }

  /** `entries` (index then term) were persisted: drop them if they are still ours. */
  stableTo(index: number, term: number): void {
    if (index < this.offset) return;
    const entry = this.entries[index - this.offset];
    if (entry === undefined || entry.term !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
    this.entries = [];
    this.offset = snapshot.metadata.index + 1;
    this.offsetInProgress = this.offset;
  }

  /** Appends entries that start at `entries[0].index`, dropping whatever they replace. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = (entries[0] as Entry).index;
    const end = this.offset + this.entries.length;
    if (first === end) {
      // the common case: a pure extension
    } else if (first <= this.offset) {
      // replaces everything unstable (and the durable suffix from `first` on)
      this.offset = first;
      this.entries = [];
    } else {
      if (!(first < end))
        assert(false, `unstable: append at ${first} leaves a gap after ${end - 1}`);
      this.entries = this.entries.slice(0, first - this.offset);
    }
    // Native copies: a batch of thousands of entries is one memcpy, not a push loop.
    this.entries = this.entries.length === 0 ? entries.slice() : this.entries.concat(entries);
    // Replaced entries that were in progress are persisted again (their write is stale).
    this.offsetInProgress = Math.min(this.offsetInProgress, first);
  }

  /** Entries in [low, high), which must lie within this buffer. */
  slice(low: number, high: number): Entry[] {
    // The message is built only on failure: this runs for every append sent.
    if (low < this.offset || high > this.offset + this.entries.length || low > high)
      assert(
        false,
        `unstable: slice [${low}, ${high}) outside [${this.offset}, ${this.offset + this.entries.length})`,
      );
    return this.entries.slice(low - this.offset, high - this.offset);
  }
}
