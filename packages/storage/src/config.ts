/**
 * Per-partition log configuration, named after Kafka's topic configs (segment.bytes →
 * segmentBytes, …). `resolveLogConfig` fills defaults and refuses any value out of range,
 * any broken relation between values, and any unknown key, with InvalidConfigError.
 */
import { InvalidConfigError } from './errors.ts';
import {
  batchFrameHeaderBytes,
  compactionKeysMaxLimit,
  indexIntervalBytesMin,
  recordBatchBytesMax,
  recordBytesMin,
  segmentBytesMax,
  segmentBytesMin,
} from './limits.ts';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
const cleanupPolicies: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete'];

export interface LogConfig {
  /** A segment rolls before it would pass this size (segment.bytes). */
  readonly segmentBytes: number;
  /** A non-empty segment rolls once its first append is this old (segment.ms). */
  readonly segmentMs: number;
  /** Bytes of batches between sparse index entries (index.interval.bytes). */
  readonly indexIntervalBytes: number;
  /** Largest batch `append` accepts (max.message.bytes). */
  readonly maxBatchBytes: number;
  /** Closed segments whose newest batch is older than this are deleted; -1 keeps all. */
  readonly retentionMs: number;
  /** Oldest closed segments are deleted while the log exceeds this; -1 keeps all. */
  readonly retentionBytes: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** How long a tombstone outlives its timestamp before compaction removes it. */
  readonly deleteRetentionMs: number;
  /** Distinct keys one compaction pass maps; bounds the compactor's memory (48 B a key). */
  readonly compactionKeysMax: number;
  /** Appended bytes waiting for the writer; `append` waits (in order) beyond this. */
  readonly appendBufferBytesMax: number;
  /** Newest batches kept in memory for reads at the tail (0: none); see tail-cache.ts. */
  readonly tailCacheBytes: number;
  /**
   * The writer starts a background fdatasync every this many bytes written (at most every
   * quarter segment), so the disk writes back while appends go on instead of all at the next
   * flush; 0: never. Durability is still only what `flush` reports. 8 MiB by default: on a
   * quiet machine it took 1 MiB-batch appends from about 80 % of raw write bandwidth to about
   * 100 % (docs/benchmarks.md); on a CPU-starved one it showed no gain either way.
   */
  readonly writebackBytes: number;
}

const dayMs = 24 * 60 * 60 * 1000;

export const defaultLogConfig: LogConfig = {
  segmentBytes: 256 * 1024 * 1024,
  segmentMs: 7 * dayMs,
  indexIntervalBytes: 4096,
  maxBatchBytes: 1024 * 1024 + 1024,
  retentionMs: 7 * dayMs,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: dayMs,
  compactionKeysMax: 256 * 1024,
  appendBufferBytesMax: 16 * 1024 * 1024,
  tailCacheBytes: 2 * 1024 * 1024,
  writebackBytes: 8 * 1024 * 1024,
};

function checkInteger(field: keyof LogConfig, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(field, `${String(value)} is not an integer in [${min}, ${max}]`);
  }
}

function checkRanges(config: LogConfig): void {
  const big = Number.MAX_SAFE_INTEGER;
  checkInteger('segmentBytes', config.segmentBytes, segmentBytesMin, segmentBytesMax);
  checkInteger('segmentMs', config.segmentMs, 1, big);
  checkInteger('indexIntervalBytes', config.indexIntervalBytes, indexIntervalBytesMin, big);
  checkInteger('maxBatchBytes', config.maxBatchBytes, 61, recordBatchBytesMax);
  checkInteger('retentionMs', config.retentionMs, -1, big);
  checkInteger('retentionBytes', config.retentionBytes, -1, big);
  checkInteger('deleteRetentionMs', config.deleteRetentionMs, 0, big);
  checkInteger('compactionKeysMax', config.compactionKeysMax, 1, compactionKeysMaxLimit);
  checkInteger('appendBufferBytesMax', config.appendBufferBytesMax, 1, big);
  checkInteger('tailCacheBytes', config.tailCacheBytes, 0, big);
  checkInteger('writebackBytes', config.writebackBytes, 0, big);
  if (!cleanupPolicies.includes(config.cleanupPolicy)) {
    throw new InvalidConfigError(
      'cleanupPolicy',
      `${String(config.cleanupPolicy)} is not one of ${cleanupPolicies.join(' | ')}`,
    );
  }
}

function checkRelations(config: LogConfig): void {
  const frameBytesMax = config.maxBatchBytes + batchFrameHeaderBytes;
  if (frameBytesMax > config.segmentBytes) {
    throw new InvalidConfigError('maxBatchBytes', 'a framed batch must fit in one segment');
  }
  if (config.indexIntervalBytes > config.segmentBytes) {
    throw new InvalidConfigError('indexIntervalBytes', 'must not exceed segmentBytes');
  }
  if (config.appendBufferBytesMax < frameBytesMax) {
    throw new InvalidConfigError('appendBufferBytesMax', 'must hold at least one framed batch');
  }
  if (config.compactionKeysMax * recordBytesMin < config.maxBatchBytes) {
    throw new InvalidConfigError('compactionKeysMax', 'must hold every key of one full batch');
  }
}

/** Defaults overlaid with `overrides`, validated. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  for (const key of Object.keys(overrides)) {
    if (!(key in defaultLogConfig)) throw new InvalidConfigError(key, 'unknown setting');
  }
  const config = { ...defaultLogConfig, ...overrides };
  checkRanges(config);
  checkRelations(config);
  return config;
}

export function deletesByRetention(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'compact';
}

export function compacts(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'delete';
}
