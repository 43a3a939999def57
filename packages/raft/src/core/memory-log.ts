/**
 * An in-memory LogReader for tests, the simulator and the benchmark: the host side of the
 * contract, kept as simply as possible. `persist(ready)` does step 1 of a Ready (snapshot,
 * then entries replacing any suffix they overlap, then hard state); `compact(snapshot)`
 * stores a snapshot the host took and drops the entries it covers.
 */
import { assert } from './assert.ts';
import type { ConfigState, Entry, HardState, LogReader, Ready, Snapshot } from './types.ts';

export interface MemoryLogOptions {
  /** The bootstrap membership (used by the core only while there is no snapshot). */
  readonly config: ConfigState;
  readonly hardState?: HardState;
}

export class MemoryLog implements LogReader {
  private hard: HardState;
  private readonly bootstrapConfig: ConfigState;
  private stored: Snapshot | undefined;
  /**
   * The entries as the batches they were appended in (no per-entry copying: a batch of a
   * thousand entries costs one reference); `starts[i]` is the index of `chunks[i][0]`.
   */
  private chunks: Entry[][] = [];
  private starts: number[] = [];
  /** The first index held; offset - 1 is the snapshot's index (0 without one). */
  private offset = 1;
  private last = 0;
  private snapshotTerm = 0;

  constructor(options: MemoryLogOptions) {
    this.bootstrapConfig = options.config;
    this.hard = options.hardState ?? { term: 0, vote: 0, commit: 0 };
  }

  initialState(): { hardState: HardState; config: ConfigState } {
    return { hardState: this.hard, config: this.bootstrapConfig };
  }

  firstIndex(): number {
    return this.offset;
  }

  lastIndex(): number {
    return this.last;
  }

  term(index: number): number | undefined {
    if (index === this.offset - 1) return this.snapshotTerm;
    if (index < this.offset || index > this.last) return undefined;
    return this.entryAt(index).term;
  }

  entries(low: number, high: number, bytesMax: number): Entry[] {
    if (low < this.offset || high > this.last + 1)
      assert(false, `memory log: entries [${low}, ${high}) out of range`);
    let out: Entry[] = [];
    let used = 0;
    for (let chunk = this.chunkOf(low); chunk < this.chunks.length && low < high; chunk++) {
      const entries = this.chunks[chunk] as Entry[];
      const start = this.starts[chunk] as number;
      const from = low - start;
      const to = Math.min(entries.length, high - start);
      let cut = from;
      while (cut < to) {
        used += (entries[cut] as Entry).data.byteLength;
        if (used > bytesMax && (cut > from || out.length > 0)) break;
        cut++;
      }
      out = out.length === 0 ? entries.slice(from, cut) : out.concat(entries.slice(from, cut));
      low = start + cut;
      if (cut < to) break;
    }
    return out;
  }

  snapshot(): Snapshot | undefined {
    return this.stored;
  }

  // ---- the host's side ------------------------------------------------------------

  hardState(): HardState {
    return this.hard;
  }

  /** Step 1 of a Ready: snapshot, entries, hard state (durable at once in memory). */
  persist(ready: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>): void {
    if (ready.snapshot !== undefined) this.applySnapshot(ready.snapshot);
    this.append(ready.entries);
    if (ready.hardState !== undefined) this.setHardState(ready.hardState);
  }

  setHardState(state: HardState): void {
    this.hard = state;
  }

  /** Appends entries, replacing the suffix from `entries[0].index` on. The array is kept. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (!(first.index >= this.offset))
      assert(false, `memory log: append at ${first.index} below first index ${this.offset}`);
    if (!(first.index <= this.last + 1))
      assert(false, `memory log: append at ${first.index} leaves a gap`);
    this.truncateAfter(first.index - 1);
    this.chunks.push(entries as Entry[]);
    this.starts.push(first.index);
    this.last = first.index + entries.length - 1;
  }

  /** Installs a snapshot received from the leader: the whole log is replaced. */
  applySnapshot(snapshot: Snapshot): void {
    this.stored = snapshot;
    this.chunks = [];
    this.starts = [];
    this.offset = snapshot.metadata.index + 1;
    this.last = snapshot.metadata.index;
    this.snapshotTerm = snapshot.metadata.term;
  }

  /** Stores a snapshot the host took (RawNode.compact) and drops the entries it covers. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (!(index >= this.offset - 1 && index <= this.last))
      assert(false, `memory log: compact at ${index} out of range`);
    if (this.term(index) !== snapshot.metadata.term)
      assert(false, `memory log: snapshot term mismatch at ${index}`);
    let drop = 0;
    while (drop < this.chunks.length && this.chunkEnd(drop) <= index) drop++;
    this.chunks = this.chunks.slice(drop);
    this.starts = this.starts.slice(drop);
    const head = this.chunks[0];
    const headStart = this.starts[0];
    if (head !== undefined && headStart !== undefined && headStart <= index) {
      this.chunks[0] = head.slice(index + 1 - headStart);
      this.starts[0] = index + 1;
    }
    this.offset = index + 1;
    this.snapshotTerm = snapshot.metadata.term;
    this.stored = snapshot;
  }

  /** Keeps entries up to `lastIndex` only (a replaced suffix, or a disk that lost its tail). */
  truncateAfter(lastIndex: number): void {
    if (lastIndex >= this.last) return;
    const keepLast = Math.max(lastIndex, this.offset - 1);
    while (this.chunks.length > 0 && (this.starts[this.starts.length - 1] as number) > keepLast) {
      this.chunks.pop();
      this.starts.pop();
    }
    const tail = this.chunks.length - 1;
    if (tail >= 0 && this.chunkEnd(tail) > keepLast) {
      this.chunks[tail] = (this.chunks[tail] as Entry[]).slice(
        0,
        keepLast + 1 - (this.starts[tail] as number),
      );
    }
    this.last = keepLast;
  }

  /** The last index held by chunk `i`. */
  private chunkEnd(i: number): number {
    return (this.starts[i] as number) + (this.chunks[i] as Entry[]).length - 1;
  }

  /** The chunk holding `index` (which must be held). */
  private chunkOf(index: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private entryAt(index: number): Entry {
    const chunk = this.chunkOf(index);
    return (this.chunks[chunk] as Entry[])[index - (this.starts[chunk] as number)] as Entry;
  }
}
