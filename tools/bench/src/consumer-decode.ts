/**
 * The consumer's own work per record, in one process, stage by stage, over the bytes of a
 * real Fetch response frame (what the ws receiver hands the client): unpacking the frame
 * and checking its schema, splitting and checking each batch (header and CRC-32C, as the
 * fetcher does), and making the messages of each partition's chunk (as eachBatch does),
 * then reading every message's value (as the client-consumer benchmark's handler does).
 * Figures are CPU nanoseconds per record (process.cpuUsage), medians over `--rounds`.
 *
 * eachBatch hands a chunk over in slices of whole stored batches of about 8,192 records
 * (`eachBatchRecordsMax`, consumer/delivery.ts); `--slice-records` sets the slices made here
 * (0: the whole chunk at once, as before that limit).
 *
 *   npx tsx tools/bench/src/consumer-decode.ts [--partitions 6] [--partition-bytes 4194304]
 *     [--batch-bytes 262144] [--record-bytes 100] [--rounds 15] [--headers] [--gzip]
 *     [--slice-records 8192]
 */

import { decodeFetchedMessages } from '@tributary/client/internal';
import {
  Api,
  CompressionType,
  checkRecordBatch,
  checkResponseBody,
  crc32cImplementation,
  decodeResponseHead,
  encodeFetchResponseFrame,
  type FetchResponse,
  initChecksums,
  RecordBatchBuilder,
  RecordBatchView,
  splitRecordBatches,
} from '@tributary/protocol';
import { benchArgs, numberArg } from './args.ts';

const values = benchArgs({
  partitions: { type: 'string', default: '6' },
  'partition-bytes': { type: 'string', default: String(4 * 1024 * 1024) },
  'batch-bytes': { type: 'string', default: String(256 * 1024) },
  'record-bytes': { type: 'string', default: '100' },
  rounds: { type: 'string', default: '15' },
  headers: { type: 'boolean', default: false },
  gzip: { type: 'boolean', default: false },
  'slice-records': { type: 'string', default: '8192' },
});

/** One partition's batches, each up to `batch-bytes` of records, `partition-bytes` in all. */
function partitionBatches(): Uint8Array[] {
  const value = Buffer.alloc(numberArg(values, 'record-bytes'), 120);
  const headers = values.headers ? [{ key: 'trace', value: Buffer.from('abc') }] : [];
  const batches: Uint8Array[] = [];
  let bytes = 0;
  let baseOffset = 0;
  while (bytes < numberArg(values, 'partition-bytes')) {
    const builder = new RecordBatchBuilder({
      baseOffset,
      compression: values.gzip ? CompressionType.gzip : CompressionType.none,
    });
    while (builder.sizeBytes < numberArg(values, 'batch-bytes')) {
      builder.append({ key: null, value, headers, timestamp: 1_700_000_000_000 + baseOffset });
    }
    baseOffset += builder.recordCount;
    const batch = builder.build();
    bytes += batch.length;
    batches.push(batch);
  }
  return batches;
}

function fetchResponseFrame(): { frame: Buffer; records: number } {
  const batches = partitionBatches();
  const partitions = Array.from({ length: numberArg(values, 'partitions') }, (_, partition) => ({
    partition,
    error: 0,
    highWatermark: 1e9,
    logStartOffset: 0,
    records: batches,
  }));
  const frame = Buffer.concat(encodeFetchResponseFrame(1, { topics: [{ name: 't', partitions }] }));
  const perPartition = decodeFetchedMessages('t', 0, batches, 0).length;
  return { frame, records: perPartition * partitions.length };
}

/** Whole stored batches, about `recordsMax` records a slice (at least one batch; 0: all). */
function slices(chunk: readonly Uint8Array[], recordsMax: number): Uint8Array[][] {
  if (recordsMax === 0) return [[...chunk]];
  const result: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let records = 0;
  for (const batch of chunk) {
    const count = new RecordBatchView(batch).recordCount;
    if (current.length > 0 && records + count > recordsMax) {
      result.push(current);
      current = [];
      records = 0;
    }
    current.push(batch);
    records += count;
  }
  result.push(current);
  return result;
}

function median(sorted: readonly number[]): number {
  return sorted[sorted.length >> 1]!;
}

/** Runs `work` `--rounds` times; prints CPU ns per record (median and min). */
function stage(name: string, records: number, work: () => number): void {
  const perRecordNs: number[] = [];
  let sink = 0;
  for (let round = 0; round < numberArg(values, 'rounds'); round++) {
    const before = process.cpuUsage();
    sink += work();
    const used = process.cpuUsage(before);
    perRecordNs.push(((used.user + used.system) * 1000) / records);
  }
  perRecordNs.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(40)} ${median(perRecordNs).toFixed(1).padStart(7)} ns/record ` +
      `(min ${perRecordNs[0]!.toFixed(1)}; checksum ${sink})`,
  );
}

await initChecksums();
const { frame, records } = fetchResponseFrame();
console.log(
  `${records} records in a ${frame.length}-byte Fetch response (${values.partitions} partitions), ` +
    `CRC-32C ${crc32cImplementation()}${values.gzip ? ', gzip' : ''}${values.headers ? ', one header each' : ''}`,
);
let response: FetchResponse | undefined;
stage('unpack the frame and check its schema', records, () => {
  response = checkResponseBody(Api.Fetch, decodeResponseHead(frame).body);
  return response.topics.length;
});
const partitions = response!.topics[0]!.partitions;
let chunks: Uint8Array[][] = [];
stage('split batches, check headers and CRC-32C', records, () => {
  chunks = partitions.map((p) =>
    splitRecordBatches(p.records).map((b) => checkRecordBatch(b).bytes),
  );
  return chunks.length;
});
chunks = chunks.flatMap((chunk) => slices(chunk, numberArg(values, 'slice-records')));
stage('make the messages (eachBatch lists)', records, () => {
  let count = 0;
  for (const chunk of chunks) count += decodeFetchedMessages('t', 0, chunk, 0).length;
  return count;
});
stage('make the messages and read each value', records, () => {
  let bytes = 0;
  for (const chunk of chunks) {
    for (const message of decodeFetchedMessages('t', 0, chunk, 0)) bytes += message.value!.length;
  }
  return bytes;
});
stage('...and each offset (a bigint) too', records, () => {
  let sum = 0n;
  for (const chunk of chunks) {
    for (const message of decodeFetchedMessages('t', 0, chunk, 0)) sum += message.offset;
  }
  return Number(sum % 1000n);
});
