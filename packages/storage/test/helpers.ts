/** Shared test helpers: batches, seeded randomness, logs over the simulated disk. */
import {
  decodeRecords,
  encodeRecordBatch,
  RecordBatchView,
  type RecordInput,
} from '@tributary/protocol';
import {
  type LogConfig,
  ManualClock,
  PartitionLog,
  type PartitionLogOptions,
  ReadBufferPool,
} from '../src/index.ts';
import { SimFileSystem } from '../src/internal.ts';

const text = new TextEncoder();
const textOut = new TextDecoder();

/** mulberry32: a small seeded PRNG, enough for choosing crash cuts in tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimpleRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: number;
}

export function toInput(record: SimpleRecord): RecordInput {
  return {
    key: record.key === null ? null : text.encode(record.key),
    value: record.value === null ? null : text.encode(record.value),
    timestamp: record.timestamp,
  };
}

export function batchOf(records: readonly SimpleRecord[]): Uint8Array {
  return encodeRecordBatch(records.map(toInput));
}

/** A batch of `count` records whose values are `value-<i>`, all at `timestamp`. */
export function batchOfCount(count: number, timestamp = 1000, valueBytes = 10): Uint8Array {
  const records = Array.from({ length: count }, (_, i) => ({
    key: `k${i}`,
    value: `v${i}`.padEnd(valueBytes, '.'),
    timestamp,
  }));
  return batchOf(records);
}

export interface DecodedRecord extends SimpleRecord {
  readonly offset: number;
}

export function decodeBatches(batches: readonly Uint8Array[]): DecodedRecord[] {
  return batches.flatMap((batch) =>
    decodeRecords(batch).map((record) => ({
      offset: record.offset,
      key: record.key === null ? null : textOut.decode(record.key),
      value: record.value === null ? null : textOut.decode(record.value),
      timestamp: record.timestamp,
    })),
  );
}

export interface BatchBounds {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

/** Every record and batch of the log, read from the start. */
export async function readLog(
  log: PartitionLog,
  maxBytes = 64 * 1024,
): Promise<{ records: DecodedRecord[]; batches: BatchBounds[] }> {
  const records: DecodedRecord[] = [];
  const batches: BatchBounds[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const result = await log.read(offset, maxBytes);
    if (result.batches.length === 0) break;
    records.push(...decodeBatches(result.batches));
    for (const batch of result.batches) {
      const view = new RecordBatchView(batch);
      batches.push({ baseOffset: view.baseOffset, lastOffset: view.lastOffset });
    }
    offset = result.nextOffset;
    // Decoded into copies: the buffers may serve the next reads.
    result.release();
  }
  return { records, batches };
}

/** Every record of the log, read batch by batch from the start. */
export async function readAll(log: PartitionLog, maxBytes = 64 * 1024): Promise<DecodedRecord[]> {
  return (await readLog(log, maxBytes)).records;
}

export const directory = '/data/partition-0';

export const smallConfig: Partial<LogConfig> = {
  segmentBytes: 4096,
  indexIntervalBytes: 256,
  maxBatchBytes: 2048,
  appendBufferBytesMax: 64 * 1024,
  compactionKeysMax: 1024,
};

export interface SimLogEnvironment {
  readonly fs: SimFileSystem;
  readonly clock: ManualClock;
  readonly readBufferPool: ReadBufferPool;
  open(overrides?: Partial<PartitionLogOptions>): Promise<PartitionLog>;
}

/** A log over a fresh simulated disk; `overrides` are laid over `smallConfig`. */
export function simEnvironment(seed = 1, overrides: Partial<LogConfig> = {}): SimLogEnvironment {
  const config = { ...smallConfig, ...overrides };
  const fs = new SimFileSystem({ random: seededRandom(seed) });
  const clock = new ManualClock(1_000_000);
  // Small, so that reads reuse a few buffers and give others up; it outlives reopenings.
  const readBufferPool = new ReadBufferPool({ bytesMax: 256 * 1024 });
  return {
    fs,
    clock,
    readBufferPool,
    open: (overrides = {}) =>
      PartitionLog.open({
        directory,
        fileSystem: fs,
        clock,
        config,
        readBufferPool,
        compactionYield: () => Promise.resolve(),
        ...overrides,
      }),
  };
}
