/**
 * A latency histogram with logarithmic buckets (about 2% wide, from 10 µs to 100 s), cheap
 * to record into, mergeable across processes, and serialisable as a sparse list of counts.
 */
import { assert } from '../src/durable/assert.ts';

const bucketMsMin = 0.01;
const bucketGrowth = 1.02;
const bucketCount = Math.ceil(Math.log(100_000 / bucketMsMin) / Math.log(bucketGrowth)) + 1;
const logGrowth = Math.log(bucketGrowth);

/** Sparse counts: [bucket, count] pairs. */
export type HistogramCounts = [number, number][];

export class LatencyHistogram {
  private readonly counts = new Float64Array(bucketCount);
  private total = 0;

  record(ms: number): void {
    const bucket =
      ms <= bucketMsMin
        ? 0
        : Math.min(bucketCount - 1, Math.ceil(Math.log(ms / bucketMsMin) / logGrowth));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  /** The latency below which a fraction `q` of the samples lie (upper bucket bound), ms. */
  quantileMs(q: number): number {
    assert(q >= 0 && q <= 1, 'a quantile is in [0, 1]');
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.counts[bucket] ?? 0;
      if (seen >= rank) return bucketMsMin * bucketGrowth ** bucket;
    }
    return bucketMsMin * bucketGrowth ** (bucketCount - 1);
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  toCounts(): HistogramCounts {
    const sparse: HistogramCounts = [];
    this.counts.forEach((count, bucket) => {
      if (count > 0) sparse.push([bucket, count]);
    });
    return sparse;
  }

  /** Adds counts produced by `toCounts` (of this or another process). */
  add(counts: HistogramCounts): void {
    for (const [bucket, count] of counts) {
      assert(Number.isSafeInteger(bucket) && bucket >= 0 && bucket < bucketCount, 'bucket');
      assert(Number.isSafeInteger(count) && count >= 0, 'bucket count');
      this.counts[bucket] = (this.counts[bucket] ?? 0) + count;
      this.total += count;
    }
  }
}
