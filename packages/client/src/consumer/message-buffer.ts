/**
 * The prefetch buffer between fetching and the application: whole fetched chunks (a
 * partition's batches from one Fetch answer), bounded in bytes. The fetcher only fetches
 * while there is room and fewer than two untaken chunks of the same partition, so a slow
 * application pauses fetching instead of growing memory. A chunk's bytes count until the
 * application has finished with it (`release`).
 */
import { assert } from '../assert.ts';
import { tpKey } from './topic-partition.ts';

export interface FetchedChunk {
  readonly topic: string;
  readonly partition: number;
  /** The partition's epoch when it was fetched (stale if the partition moved since). */
  readonly epoch: number;
  readonly batches: readonly Uint8Array[];
  /** The offset fetched from: records before it in the first batch are skipped. */
  readonly fromOffset: number;
  /** The offset after the last batch: where the next fetch starts. */
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly sizeBytes: number;
}

interface Taker {
  readonly accept: (key: string) => boolean;
  readonly resolve: (chunk: FetchedChunk) => void;
  readonly reject: (error: unknown) => void;
}

export class MessageBuffer {
  private readonly chunks: FetchedChunk[] = [];
  private readonly takers: Taker[] = [];
  private usedBytes = 0;
  private closedWith: unknown;
  private closed = false;

  constructor(
    readonly capacityBytes: number,
    private readonly onRoom: () => void,
  ) {}

  get bytes(): number {
    return this.usedBytes;
  }

  get hasRoom(): boolean {
    return this.usedBytes < this.capacityBytes;
  }

  /** How many chunks of this partition wait untaken (they are taken oldest first). */
  untakenCount(topic: string, partition: number): number {
    let count = 0;
    for (const c of this.chunks) if (c.topic === topic && c.partition === partition) count += 1;
    return count;
  }

  push(chunk: FetchedChunk): void {
    if (this.closed) return;
    this.usedBytes += chunk.sizeBytes;
    const key = tpKey(chunk.topic, chunk.partition);
    const taker = this.takers.find((t) => t.accept(key));
    if (taker !== undefined) {
      this.takers.splice(this.takers.indexOf(taker), 1);
      taker.resolve(chunk);
      return;
    }
    this.chunks.push(chunk);
  }

  /** The oldest chunk whose partition `accept`s, waiting for one if none is buffered. */
  take(signal: AbortSignal, accept: (key: string) => boolean = () => true): Promise<FetchedChunk> {
    if (this.closed) return Promise.reject(this.closedWith);
    const index = this.chunks.findIndex((c) => accept(tpKey(c.topic, c.partition)));
    if (index !== -1) {
      const [chunk] = this.chunks.splice(index, 1);
      this.onRoom();
      return Promise.resolve(chunk!);
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.takers.indexOf(taker);
        if (at !== -1) this.takers.splice(at, 1);
        reject(signal.reason);
      };
      const taker: Taker = {
        accept,
        resolve: (chunk) => {
          signal.removeEventListener('abort', onAbort);
          resolve(chunk);
          this.onRoom();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.takers.push(taker);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The application is done with a taken chunk: its bytes no longer count. */
  release(chunk: FetchedChunk): void {
    if (this.closed) return; // closing already dropped every count
    this.usedBytes -= chunk.sizeBytes;
    assert(this.usedBytes >= 0, 'buffer released more than it held');
    this.onRoom();
  }

  /** Drops the untaken chunks of partitions `drop` selects (revoked, seeked, paused). */
  discard(drop: (chunk: FetchedChunk) => boolean): void {
    for (let i = this.chunks.length - 1; i >= 0; i -= 1) {
      const chunk = this.chunks[i]!;
      if (!drop(chunk)) continue;
      this.chunks.splice(i, 1);
      this.usedBytes -= chunk.sizeBytes;
    }
    this.onRoom();
  }

  /** Wakes waiting takers whose `accept` may now say yes (a partition was unlocked). */
  retryTakers(): void {
    for (const taker of [...this.takers]) {
      const index = this.chunks.findIndex((c) => taker.accept(tpKey(c.topic, c.partition)));
      if (index === -1) continue;
      const [chunk] = this.chunks.splice(index, 1);
      this.takers.splice(this.takers.indexOf(taker), 1);
      taker.resolve(chunk!);
    }
  }

  /** Accepts chunks again after a `close` (the consumer runs again after a stop). */
  reopen(): void {
    this.closed = false;
    this.closedWith = undefined;
  }

  close(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = error;
    for (const taker of this.takers.splice(0)) taker.reject(error);
    this.chunks.length = 0;
    this.usedBytes = 0;
  }
}
