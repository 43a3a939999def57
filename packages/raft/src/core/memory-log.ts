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
  /** entries[i] has index offset + i; offset - 1 is the snapshot's index (0 without one). */
  private entriesHeld: Entry[] = [];
  private offset = 1;
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
    return this.offset + this.entriesHeld.length - 1;
  }

  term(index: number): number | undefined {
    if (index === this.offset - 1) return this.snapshotTerm;
    return this.entriesHeld[index - this.offset]?.term;
  }

  entries(low: number, high: number, bytesMax: number): Entry[] {
    assert(
      low >= this.offset && high <= this.lastIndex() + 1,
      `memory log: entries [${low}, ${high}) out of range`,
    );
    const held = this.entriesHeld;
    const start = low - this.offset;
    const end = high - this.offset;
    let used = 0;
    for (let i = start; i < end; i++) {
      used += (held[i] as Entry).data.byteLength;
      if (used > bytesMax && i > start) return held.slice(start, i);
    }
    return held.slice(start, end);
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

  /** Appends entries, replacing the suffix from `entries[0].index` on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(
      first.index >= this.offset,
      `memory log: append at ${first.index} below first index ${this.offset}`,
    );
    assert(
      first.index <= this.lastIndex() + 1,
      `memory log: append at ${first.index} leaves a gap`,
    );
    const keep = first.index - this.offset;
    if (keep < this.entriesHeld.length) this.entriesHeld.length = keep;
    for (const entry of entries) this.entriesHeld.push(entry);
  }

  /** Installs a snapshot received from the leader: the whole log is replaced. */
  applySnapshot(snapshot: Snapshot): void {
    this.stored = snapshot;
    this.entriesHeld = [];
    this.offset = snapshot.metadata.index + 1;
    this.snapshotTerm = snapshot.metadata.term;
  }

  /** Stores a snapshot the host took (RawNode.compact) and drops the entries it covers. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    assert(
      index >= this.offset - 1 && index <= this.lastIndex(),
      `memory log: compact at ${index} out of range`,
    );
    assert(
      this.term(index) === snapshot.metadata.term,
      `memory log: snapshot term mismatch at ${index}`,
    );
    this.entriesHeld = this.entriesHeld.slice(index + 1 - this.offset);
    this.offset = index + 1;
    this.snapshotTerm = snapshot.metadata.term;
    this.stored = snapshot;
  }

  /** Simulates a disk that lost its tail: keeps entries up to `lastIndex` only. */
  truncateAfter(lastIndex: number): void {
    const keep = Math.max(0, lastIndex + 1 - this.offset);
    if (keep < this.entriesHeld.length) this.entriesHeld.length = keep;
  }
}
