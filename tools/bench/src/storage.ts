/**
 * Benchmark of the segment store (packages/storage) and the record batch codec
 * (packages/protocol), against the raw sequential write bandwidth of the same disk
 * measured in the same run.
 *
 *   npx tsx tools/bench/src/storage.ts [--total-mb 256] [--repeat 3] [--dir <dir>]
 *       [--record-bytes 100,1024] [--batch-kib 16,64,256,1024] [--no-codec] [--warmup-mb <total-mb>]
 *       [--writeback-mb <the log's writebackBytes in MiB; 0: off>]
 *
 * For records of 100 bytes and 1 KiB, in batches of 16 KiB, 64 KiB, 256 KiB and 1 MiB:
 *
 * 1. raw: plain `writeSync` of buffers of the batch size into one new file, one fdatasync
 *    at the end (the disk's sequential write bandwidth through the page cache, written the
 *    way a naive writer of those batches would); and "disk": the same bytes written the
 *    same way in 1 MiB writes (the disk's bandwidth whatever the batch size);
 * 2. append: `PartitionLog.append` of distinct, pre-encoded batches (each is checked, its
 *    CRC-32C verified, its base offset stamped, framed with its xxhash64 and queued for the
 *    writer), with no fsync per batch and one `flush()` at the end (which also writes the
 *    log's checkpoint); MB/s of batch bytes, records/s, and the ratios to raw and to disk;
 * 3. read: sequential `read(offset, 1 MiB)` over the whole log just written (from the page
 *    cache; every frame's xxhash64 is checked), MB/s, twice: first dropping each result
 *    without releasing it ("kept": fresh memory for every read, as for a caller that never
 *    calls `release()`), then releasing each result once counted (its buffer serves a later
 *    read), which is the figure "read" reports;
 * 4. the CPU time (user + system, all threads) raw, append and the released read spent per
 *    byte, which a loaded machine does not inflate the way it inflates wall-clock
 *    throughput. The 1-minute load average is printed before and after.
 *
 * Before the first case, one untimed append and read of `--warmup-mb` MiB of its batches.
 *
 * Then the codec alone: CRC-32C MB/s over buffers of 64 B to 1 MiB, both as `crc32c`
 * dispatches it (native from `nativeCrc32cBytesMin` bytes up when `@node-rs/crc32` loaded)
 * and for the JavaScript implementation alone; xxhash64 MB/s; and batch encoding
 * (RecordBatchBuilder) MB/s and records/s. Medians over `repeat` runs; the
 * ratios are the medians of the per-run ratios (raw, disk and append run back to back).
 * Results also go to tools/bench/results/storage-<time>.json.
 */

import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  crc32c,
  crc32cImplementation,
  encodeRecordBatch,
  initChecksums,
  type RecordInput,
  xxhash64,
} from '@tributary/protocol';
import { crc32cJavaScript } from '@tributary/protocol/internal';
import { PartitionLog } from '@tributary/storage';
import { benchArgs, numberArg } from './args.ts';

const values = benchArgs({
  'total-mb': { type: 'string', default: '256' },
  repeat: { type: 'string', default: '3' },
  dir: { type: 'string', default: join(import.meta.dirname, '..', 'results') },
  // Narrower runs, for profiling one case (--cpu-prof) or a quick check.
  'record-bytes': { type: 'string', default: '100,1024' },
  'batch-kib': { type: 'string', default: '16,64,256,1024' },
  'no-codec': { type: 'boolean', default: false },
  // Default: as much as one case (--total-mb).
  'warmup-mb': { type: 'string' },
  // The log's writebackBytes in MiB (default: the log's default; 0: off), for comparisons.
  'writeback-mb': { type: 'string' },
});
const totalBytes = numberArg(values, 'total-mb') * 1024 * 1024;
const repeat = numberArg(values, 'repeat');
function positiveIntegers(list: string, name: string): number[] {
  const values = list.split(',').map(Number);
  for (const value of values) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`bad --${name}: ${list}`);
  }
  return values;
}

const logConfig =
  values['writeback-mb'] === undefined
    ? {}
    : { writebackBytes: Math.round(numberArg(values, 'writeback-mb') * 1024 * 1024) };

const recordSizes = positiveIntegers(values['record-bytes'], 'record-bytes');
const batchSizes = positiveIntegers(values['batch-kib'], 'batch-kib').map((kib) => kib * 1024);
const mega = 1_000_000;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One batch of about `batchBytes`, of records with `valueBytes`-byte values. */
function templateBatch(
  valueBytes: number,
  batchBytes: number,
): { batch: Uint8Array; records: number } {
  const key = new TextEncoder().encode('key-0000');
  const value = new Uint8Array(valueBytes);
  for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
  const perRecord = valueBytes + key.length + 12;
  const count = Math.max(1, Math.floor((batchBytes - 61) / perRecord));
  const records: RecordInput[] = Array.from({ length: count }, (_, i) => ({
    key,
    value,
    timestamp: 1_700_000_000_000 + i,
  }));
  return { batch: encodeRecordBatch(records), records: count };
}

/**
 * Distinct copies (append takes ownership of its bytes and stamps them in place). Copied
 * with the Uint8Array constructor: `slice()` of a Buffer would share the memory.
 */
function batchPool(template: Uint8Array): Uint8Array[] {
  const count = Math.max(1, Math.floor(totalBytes / template.length));
  return Array.from({ length: count }, () => new Uint8Array(template));
}

/** CPU seconds (user + system) this process used since `since`. */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Writes `buffers` to a new file with `writeSync`, then one fdatasync; MB/s and CPU ns/B. */
function rawWrite(
  dir: string,
  buffers: readonly Uint8Array[],
): { mbps: number; cpuNsPerByte: number } {
  const path = join(dir, 'raw-write.probe');
  const fd = openSync(path, 'w');
  let bytes = 0;
  for (const buffer of buffers) bytes += buffer.length;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const buffer of buffers) writeSync(fd, buffer);
  fdatasyncSync(fd);
  const elapsed = seconds(start);
  const cpuNsPerByte = (cpuSeconds(cpu) * 1e9) / bytes;
  closeSync(fd);
  rmSync(path);
  return { mbps: bytes / elapsed / mega, cpuNsPerByte };
}

/** The bytes of `pool`, as views of one 1 MiB buffer (the last one shorter). */
function megabyteWrites(pool: readonly Uint8Array[]): Uint8Array[] {
  const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
  const writes: Uint8Array[] = [];
  for (let left = pool.length * pool[0]!.length; left > 0; left -= chunk.length) {
    writes.push(chunk.subarray(0, Math.min(chunk.length, left)));
  }
  return writes;
}

/** Reads the whole log sequentially, 1 MiB a call; MB/s and CPU ns/B. */
async function readWholeLog(
  log: PartitionLog,
  bytes: number,
  release: boolean,
): Promise<{ mbps: number; cpuNsPerByte: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let offset = 0;
  let readBytes = 0;
  while (offset < log.logEndOffset) {
    const result = await log.read(offset, 1024 * 1024);
    readBytes += result.sizeBytes;
    offset = result.nextOffset;
    if (release) result.release();
  }
  const mbps = readBytes / seconds(start) / mega;
  if (readBytes !== bytes) throw new Error(`read ${readBytes} bytes of ${bytes}`);
  return { mbps, cpuNsPerByte: (cpuSeconds(cpu) * 1e9) / bytes };
}

async function appendAndRead(
  dir: string,
  pool: readonly Uint8Array[],
): Promise<{
  appendMBps: number;
  appendCpuNsPerByte: number;
  readMBps: number;
  readCpuNsPerByte: number;
  readKeptMBps: number;
}> {
  const directory = mkdtempSync(join(dir, 'log-'));
  const log = await PartitionLog.open({ directory, config: logConfig });
  const bytes = pool.length * pool[0]!.length;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let pending: Promise<unknown> = Promise.resolve();
  for (const [i, batch] of pool.entries()) {
    pending = log.append(batch);
    if (i % 64 === 63) await pending;
  }
  await pending;
  await log.flush();
  const appendSeconds = seconds(start);
  const appendCpuNsPerByte = (cpuSeconds(cpu) * 1e9) / bytes;
  const kept = await readWholeLog(log, bytes, false);
  const released = await readWholeLog(log, bytes, true);
  await log.close();
  rmSync(directory, { recursive: true, force: true });
  return {
    appendMBps: bytes / appendSeconds / mega,
    appendCpuNsPerByte,
    readMBps: released.mbps,
    readCpuNsPerByte: released.cpuNsPerByte,
    readKeptMBps: kept.mbps,
  };
}

interface StoreResult {
  readonly recordBytes: number;
  readonly batchBytes: number;
  readonly recordsPerBatch: number;
  readonly rawMBps: number;
  /** The same bytes in 1 MiB writes. */
  readonly diskMBps: number;
  readonly appendMBps: number;
  readonly appendRecordsPerSecond: number;
  readonly appendToRaw: number;
  readonly appendToDisk: number;
  /** Reads releasing each result; `readKeptMBps` without releasing. */
  readonly readMBps: number;
  readonly readKeptMBps: number;
  /** CPU time of this process per byte (user + system), which load does not inflate. */
  readonly rawCpuNsPerByte: number;
  readonly appendCpuNsPerByte: number;
  readonly readCpuNsPerByte: number;
}

/**
 * One untimed append and read before the first case, so it does not alone pay for a cold
 * process: measured with 64 MiB, the first case still read at half the speed it reached
 * when run third (memory the process touches for the first time), hence one whole case.
 */
async function warmUp(dir: string): Promise<void> {
  const warmupBytes = Number(values['warmup-mb'] ?? values['total-mb']) * 1024 * 1024;
  if (warmupBytes <= 0) return;
  const template = templateBatch(recordSizes[0]!, batchSizes[0]!);
  const count = Math.max(1, Math.floor(warmupBytes / template.batch.length));
  await appendAndRead(
    dir,
    Array.from({ length: count }, () => new Uint8Array(template.batch)),
  );
}

async function benchmarkStore(dir: string): Promise<StoreResult[]> {
  await warmUp(dir);
  const results: StoreResult[] = [];
  for (const recordBytes of recordSizes) {
    for (const batchBytes of batchSizes) {
      const template = templateBatch(recordBytes, batchBytes);
      const pool = batchPool(template.batch);
      const samples = new Map<string, number[]>();
      const sample = (name: string, value: number) => {
        samples.set(name, [...(samples.get(name) ?? []), value]);
      };
      const medianOf = (name: string) => median(samples.get(name) ?? []);
      const diskWrites = megabyteWrites(pool);
      for (let run = 0; run < repeat; run++) {
        // Raw, disk and append alternate, and each append is compared with the raw runs
        // next to it, so a noisy neighbour moves both sides of a ratio alike.
        const rawRun = rawWrite(dir, pool);
        const diskRun = rawWrite(dir, diskWrites);
        const measured = await appendAndRead(dir, pool);
        sample('raw', rawRun.mbps);
        sample('rawCpu', rawRun.cpuNsPerByte);
        sample('disk', diskRun.mbps);
        sample('append', measured.appendMBps);
        sample('appendCpu', measured.appendCpuNsPerByte);
        sample('toRaw', measured.appendMBps / rawRun.mbps);
        sample('toDisk', measured.appendMBps / diskRun.mbps);
        sample('read', measured.readMBps);
        sample('readCpu', measured.readCpuNsPerByte);
        sample('readKept', measured.readKeptMBps);
      }
      const appendMBps = medianOf('append');
      const result: StoreResult = {
        recordBytes,
        batchBytes: template.batch.length,
        recordsPerBatch: template.records,
        rawMBps: medianOf('raw'),
        diskMBps: medianOf('disk'),
        appendMBps,
        appendRecordsPerSecond: (appendMBps * mega * template.records) / template.batch.length,
        appendToRaw: medianOf('toRaw'),
        appendToDisk: medianOf('toDisk'),
        readMBps: medianOf('read'),
        readKeptMBps: medianOf('readKept'),
        rawCpuNsPerByte: medianOf('rawCpu'),
        appendCpuNsPerByte: medianOf('appendCpu'),
        readCpuNsPerByte: medianOf('readCpu'),
      };
      results.push(result);
      printStoreRow(result);
    }
  }
  return results;
}

const storeHeader =
  ' record     batch  raw MB/s disk MB/s append MB/s   records/s  of raw of disk read MB/s' +
  ' kept MB/s raw ns/B app ns/B read ns/B';

function printStoreRow(r: StoreResult): void {
  const cells = [
    `${r.recordBytes} B`.padStart(7),
    `${(r.batchBytes / 1024).toFixed(0)} KiB`.padStart(9),
    r.rawMBps.toFixed(0).padStart(9),
    r.diskMBps.toFixed(0).padStart(9),
    r.appendMBps.toFixed(0).padStart(11),
    Math.round(r.appendRecordsPerSecond).toLocaleString('en-US').padStart(11),
    `${(r.appendToRaw * 100).toFixed(0)}%`.padStart(6),
    `${(r.appendToDisk * 100).toFixed(0)}%`.padStart(7),
    r.readMBps.toFixed(0).padStart(9),
    r.readKeptMBps.toFixed(0).padStart(9),
    r.rawCpuNsPerByte.toFixed(2).padStart(8),
    r.appendCpuNsPerByte.toFixed(2).padStart(8),
    r.readCpuNsPerByte.toFixed(2).padStart(9),
  ];
  console.log(cells.join(' '));
}

function throughput(bytesPerCall: number, call: () => void, budgetSeconds = 0.5): number {
  for (let i = 0; i < 20; i++) call();
  let calls = 0;
  const start = process.hrtime.bigint();
  while (seconds(start) < budgetSeconds) {
    for (let i = 0; i < 10; i++) call();
    calls += 10;
  }
  return (calls * bytesPerCall) / seconds(start) / mega;
}

function sizeName(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${bytes / 1024} KiB`;
}

/** MB/s of `checksum` over a buffer of `size` bytes starting 21 bytes in, as batches do. */
function checksumThroughput(size: number, checksum: (bytes: Uint8Array) => unknown): number {
  const host = new Uint8Array(size + 21);
  for (let i = 0; i < host.length; i++) host[i] = (i * 131) & 0xff;
  const buffer = host.subarray(21);
  return median(Array.from({ length: repeat }, () => throughput(size, () => checksum(buffer))));
}

function benchmarkCodec() {
  const results: Record<string, number> = {};
  console.log(`crc32c implementation: ${crc32cImplementation()} (from 256 B up)`);
  for (const size of [64, 256, 1024, 16 * 1024, 1024 * 1024]) {
    results[`crc32c ${sizeName(size)} MB/s`] = checksumThroughput(size, crc32c);
    results[`crc32c JavaScript ${sizeName(size)} MB/s`] = checksumThroughput(
      size,
      crc32cJavaScript,
    );
  }
  for (const size of [16 * 1024, 1024 * 1024]) {
    results[`xxhash64 ${sizeName(size)} MB/s`] = checksumThroughput(size, xxhash64);
  }
  for (const recordBytes of recordSizes) {
    const template = templateBatch(recordBytes, 64 * 1024);
    const value = new Uint8Array(recordBytes);
    const key = new TextEncoder().encode('key-0000');
    const records: RecordInput[] = Array.from({ length: template.records }, (_, i) => ({
      key,
      value,
      timestamp: 1_700_000_000_000 + i,
    }));
    const mbps = median(
      Array.from({ length: repeat }, () =>
        throughput(template.batch.length, () => encodeRecordBatch(records)),
      ),
    );
    results[`encode ${recordBytes} B records MB/s`] = mbps;
    results[`encode ${recordBytes} B records/s`] =
      (mbps * mega * template.records) / template.batch.length;
  }
  for (const [name, value] of Object.entries(results)) {
    console.log(`${name.padEnd(32)} ${Math.round(value).toLocaleString('en-US').padStart(12)}`);
  }
  return results;
}

async function main(): Promise<void> {
  await initChecksums();
  mkdirSync(values.dir, { recursive: true });
  const dir = mkdtempSync(join(values.dir, 'storage-bench-'));
  console.log(
    `storage benchmark: ${totalBytes / 1024 / 1024} MiB per case, median of ${repeat}, in ${dir}`,
    `log config: ${JSON.stringify(logConfig)}`,
  );
  const loadBefore = loadavg()[0]!;
  console.log(`load average (1 min) before: ${loadBefore.toFixed(2)}`);
  console.log(storeHeader);
  try {
    const store = await benchmarkStore(dir);
    console.log('');
    const codec = values['no-codec'] ? {} : benchmarkCodec();
    const resultPath = join(
      values.dir,
      `storage-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    );
    const loadAfter = loadavg()[0]!;
    console.log(`load average (1 min) after: ${loadAfter.toFixed(2)}`);
    const load = { before: loadBefore, after: loadAfter };
    const report = { totalBytes, repeat, load, logConfig, store, codec };
    writeFileSync(resultPath, JSON.stringify(report, null, 2));
    console.log(`\nresults: ${resultPath}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
