/**
 * A reference from a group's in-memory state to one WAL record it still depends on (its
 * latest hard state, config, compaction point or snapshot, or a run of its entries). A
 * segment file may be deleted once no live reference points into it.
 *
 * A record staged for the next flush has no segment yet (`segment === -1`); the flush
 * assigns it once the bytes are written, which is also when its bytes become readable.
 */
import type { EntriesSummary } from './record-body.ts';

export class RecordRef {
  segment = -1;
  /** Byte offset of the record in its segment; valid once `segment >= 0`. */
  position = 0;
  /** Whole record size, header included. */
  size = 0;
  live = true;

  constructor(readonly carriesEntries: boolean) {}
}

/** A run of consecutive entries held by one entries record. */
export class EntryRun extends RecordRef {
  indexFirst: number;
  /** May shrink when a later append overwrites the tail of this run. */
  count: number;
  readonly termFirst: number;
  /** [offset, term] pairs where the term changes, offsets from `indexFirst`. */
  readonly termChanges: readonly number[] | undefined;

  constructor(summary: EntriesSummary) {
    super(true);
    this.indexFirst = summary.indexFirst;
    this.count = summary.count;
    this.termFirst = summary.termFirst;
    this.termChanges = summary.termChanges;
  }

  get indexLast(): number {
    return this.indexFirst + this.count - 1;
  }

  termAt(index: number): number {
    const offset = index - this.indexFirst;
    let term = this.termFirst;
    const changes = this.termChanges;
    if (changes === undefined) return term;
    for (let i = 0; i < changes.length && (changes[i] as number) <= offset; i += 2) {
      term = changes[i + 1] as number;
    }
    return term;
  }

  termLast(): number {
    return this.termAt(this.indexLast);
  }
}
