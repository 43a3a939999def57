import test from 'ava';
import { batchOfCount, readAll, simEnvironment } from './helpers.ts';

test('concurrent appends beyond the append buffer wait their turn and keep their order', async (t) => {
  const env = simEnvironment(21, {
    appendBufferBytesMax: 2048,
    maxBatchBytes: 1024,
    segmentBytes: 8192,
  });
  const log = await env.open();
  const batches = Array.from({ length: 200 }, (_, i) =>
    batchOfCount(1 + (i % 5), 1000, 40 + (i % 7) * 10),
  );
  const results = await Promise.all(batches.map((batch) => log.append(batch)));
  let expected = 0;
  for (const [i, result] of results.entries()) {
    t.is(result.baseOffset, expected, `append ${i}`);
    expected = result.lastOffset + 1;
  }
  const records = await readAll(log, 1000);
  t.deepEqual(
    records.map((r) => r.offset),
    Array.from({ length: expected }, (_, i) => i),
  );
  t.true(log.segmentInfo().length > 3);
  await log.close();
});

test('sparse index memory stays bounded by segment size over the index interval', async (t) => {
  const env = simEnvironment(21, {
    segmentBytes: 64 * 1024,
    indexIntervalBytes: 1024,
    maxBatchBytes: 2048,
  });
  const log = await env.open();
  for (let i = 0; i < 2000; i++) await log.append(batchOfCount(2, 1000, 30));
  const segments = log.segmentInfo();
  const active = segments.at(-1)!;
  // One 20-byte entry (offset + time) per 1 KiB at most, in arrays that at most double.
  const entriesMax = Math.ceil((64 * 1024) / 1024) + 1;
  t.true(active.indexBytes <= 2 * entriesMax * 20, `${active.indexBytes} bytes of index`);
  const loaded = segments.filter((segment) => !segment.active && segment.indexBytes > 0);
  t.true(loaded.length <= 16, `${loaded.length} sealed segments loaded`);
  for (let offset = 0; offset < log.logEndOffset; offset += 50) await log.read(offset, 100);
  t.true(log.segmentInfo().filter((s) => !s.active && s.indexBytes > 0).length <= 16);
  await log.close();
});
