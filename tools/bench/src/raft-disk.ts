/**
 * Benchmark of the durable Raft log's group commit (packages/raft/src/durable), with
 * fdatasync on, against the disk's own fdatasync rate measured in the same run.
 *
 *   npx tsx tools/bench/src/raft-disk.ts [--seconds 2] [--repeat 3] [--groups 100] [--dir /tmp]
 *
 * 1. The disk: a loop of 4 KiB append + fdatasync on one file (ops/s, p50, p99), measured
 *    before, between and after the WAL rows; the median is the baseline.
 * 2. The WAL: `groups` writers, one per Raft group, each staging a batch of entries and
 *    calling `wal.sync()`, in a loop, all at once (as a host persisting every group's
 *    Ready would); entries of 100 bytes and 1 KiB, batches of 1, 16 and 64 entries. With
 *    depth 1 each writer awaits its sync before staging again (a closed loop: one Ready
 *    per group per flush, as a RawNode that waits for persistence before its next Ready);
 *    with depth 2 it stages its next batch into the next flush while the previous one is
 *    in flight (pipelined, so a flush's segment write overlaps the previous flush's
 *    acknowledged-file write). Each group compacts its log as it goes, so old segments
 *    are deleted as in production. Reported:
 *    entries/s, payload MB/s, flushes/s, fsyncs/s (segment and acknowledged file), entries
 *    per fsync, and entries/s divided by the disk's fdatasync rate.
 */

import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Entry, RaftWal } from '@tributary/raft';
import { benchArgs, numberArg } from './args.ts';

const values = benchArgs({
  seconds: { type: 'string', default: '2' },
  repeat: { type: 'string', default: '3' },
  groups: { type: 'string', default: '100' },
  dir: { type: 'string', default: tmpdir() },
});
const seconds = numberArg(values, 'seconds');
const repeat = numberArg(values, 'repeat');
const groupCount = numberArg(values, 'groups');
const compactEveryEntries = 20_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function measureDisk(dir: string): { opsPerSecond: number; p50Ms: number; p99Ms: number } {
  const path = join(dir, 'fdatasync-probe');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 7);
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    writeSync(fd, block);
    fdatasyncSync(fd);
    latencies.push(performance.now() - start);
  }
  closeSync(fd);
  rmSync(path);
  latencies.sort((a, b) => a - b);
  return {
    opsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

interface WalResult {
  readonly entrySize: number;
  readonly batch: number;
  readonly depth: number;
  readonly entriesPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly flushesPerSecond: number;
  readonly fsyncsPerSecond: number;
  readonly entriesPerFsync: number;
  readonly syncP50Ms: number;
  readonly syncP99Ms: number;
}

async function measureWal(
  dir: string,
  entrySize: number,
  batch: number,
  depth: number,
): Promise<WalResult> {
  const walDir = mkdtempSync(join(dir, 'raft-disk-bench-'));
  const wal = await RaftWal.open({ dir: walDir });
  const payload = Buffer.alloc(entrySize, 0x5a);
  let entries = 0;
  const syncLatencies: number[] = [];
  const before = wal.stats();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const writer = async (group: number) => {
    const storage = wal.group(group);
    let next = storage.lastIndex() + 1;
    const outstanding: Promise<void>[] = [];
    while (performance.now() < deadline) {
      const staged: Entry[] = [];
      for (let i = 0; i < batch; i++)
        staged.push({ index: next + i, term: 1, type: 0, data: payload });
      storage.stage({ entries: staged, hardState: { term: 1, vote: 0, commit: next - 1 } });
      next += batch;
      const syncStart = performance.now();
      outstanding.push(
        wal.sync().then(() => {
          syncLatencies.push(performance.now() - syncStart);
          entries += batch;
        }),
      );
      // Let the flush holding this batch start, so the next batch goes into the next flush.
      await new Promise((resolve) => setImmediate(resolve));
      if (outstanding.length >= depth) await outstanding.shift();
      if (next - storage.firstIndex() > compactEveryEntries) storage.compact(next - 1_000);
    }
    await Promise.all(outstanding);
  };
  await Promise.all(Array.from({ length: groupCount }, (_, group) => writer(group)));
  const elapsed = (performance.now() - start) / 1000;
  const after = wal.stats();
  await wal.close();
  rmSync(walDir, { recursive: true, force: true });
  const fsyncs =
    after.segmentSyncs - before.segmentSyncs + after.acknowledgedSyncs - before.acknowledgedSyncs;
  syncLatencies.sort((a, b) => a - b);
  return {
    entrySize,
    batch,
    depth,
    entriesPerSecond: entries / elapsed,
    megabytesPerSecond: (entries * entrySize) / elapsed / 1e6,
    flushesPerSecond: (after.flushes - before.flushes) / elapsed,
    fsyncsPerSecond: fsyncs / elapsed,
    entriesPerFsync: entries / Math.max(1, fsyncs),
    syncP50Ms: percentile(syncLatencies, 0.5),
    syncP99Ms: percentile(syncLatencies, 0.99),
  };
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

function median<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

const disks = [measureDisk(values.dir)];
const rows: WalResult[] = [];
for (const entrySize of [100, 1024]) {
  for (const batch of [1, 16, 64]) {
    for (const depth of [1, 2]) {
      const runs: WalResult[] = [];
      for (let i = 0; i < repeat; i++)
        runs.push(await measureWal(values.dir, entrySize, batch, depth));
      rows.push(median(runs, (r) => r.entriesPerSecond));
    }
  }
  disks.push(measureDisk(values.dir));
}
const disk = median(disks, (d) => d.opsPerSecond);
console.log(
  `disk: 4 KiB append + fdatasync: ${round(disk.opsPerSecond)} ops/s (median of ${disks.length}: ${disks.map((d) => round(d.opsPerSecond)).join(', ')}), p50 ${round(disk.p50Ms, 2)} ms, p99 ${round(disk.p99Ms, 2)} ms`,
);
console.log(
  `WAL: ${groupCount} groups writing at once, fsync on, median of ${repeat} runs of ${seconds} s`,
);
console.log(
  '| entry B | batch | depth | entries/s | MB/s | flushes/s | fsyncs/s | entries/fsync | entries/s ÷ disk fsyncs/s | sync p50 ms | sync p99 ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const cells = [
    r.entrySize,
    r.batch,
    r.depth,
    round(r.entriesPerSecond),
    round(r.megabytesPerSecond, 1),
    round(r.flushesPerSecond),
    round(r.fsyncsPerSecond),
    round(r.entriesPerFsync, 1),
    round(r.entriesPerSecond / disk.opsPerSecond, 1),
    round(r.syncP50Ms, 2),
    round(r.syncP99Ms, 2),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
