import test from 'ava';
import { PartitionLog } from '../src/index.ts';
import { batchOf, batchOfCount, decodeBatches, readAll, simEnvironment } from './helpers.ts';

test('appends get consecutive offsets and read back as whole batches', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  t.is(log.logStartOffset, 0);
  t.is(log.logEndOffset, 0);
  const first = await log.append(batchOfCount(3));
  const second = await log.append(batchOfCount(2));
  t.deepEqual(first, { baseOffset: 0, lastOffset: 2 });
  t.deepEqual(second, { baseOffset: 3, lastOffset: 4 });
  t.is(log.logEndOffset, 5);
  const result = await log.read(0, 1_000_000);
  t.is(result.batches.length, 2);
  t.is(result.nextOffset, 5);
  t.deepEqual(
    decodeBatches(result.batches).map((r) => [r.offset, r.value]),
    [
      [0, 'v0........'],
      [1, 'v1........'],
      [2, 'v2........'],
      [3, 'v0........'],
      [4, 'v1........'],
    ],
  );
  const fromMiddle = await log.read(4, 1);
  t.is(fromMiddle.batches.length, 1, 'the batch holding offset 4');
  t.is(decodeBatches(fromMiddle.batches)[0]!.offset, 3);
  t.is((await log.read(5, 100)).batches.length, 0);
  await log.close();
});

test('the first batch is returned even when larger than maxBytes', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  await log.append(batchOfCount(20));
  await log.append(batchOfCount(20));
  const result = await log.read(0, 10);
  t.is(result.batches.length, 1);
  t.true(result.sizeBytes > 10);
  t.is(result.nextOffset, 20);
  await log.close();
});

test('segments roll by size and reads cross them', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  for (let i = 0; i < 40; i++) await log.append(batchOfCount(10, 1000 + i, 50));
  const segments = log.segmentInfo();
  t.true(segments.length > 3, `${segments.length} segments`);
  t.true(segments.every((s) => s.sizeBytes <= 4096));
  const records = await readAll(log, 300);
  t.is(records.length, 400);
  t.deepEqual(
    records.map((r) => r.offset),
    Array.from({ length: 400 }, (_, i) => i),
  );
  await log.close();
});

test('segments roll by age on the injected clock', async (t) => {
  const env = simEnvironment(1, { segmentMs: 60_000 });
  const log = await env.open();
  await log.append(batchOfCount(1));
  env.clock.advance(59_999);
  await log.append(batchOfCount(1));
  t.is(log.segmentInfo().length, 1);
  env.clock.advance(1);
  await log.append(batchOfCount(1));
  t.deepEqual(
    log.segmentInfo().map((s) => s.baseOffset),
    [0, 2],
  );
  await log.close();
});

test('a clean close and reopen keeps everything and scans nothing', async (t) => {
  const env = simEnvironment();
  let log = await env.open();
  for (let i = 0; i < 30; i++) await log.append(batchOfCount(4, 5000 + i));
  const before = await readAll(log);
  await log.close();
  log = await env.open();
  t.true(log.recovery.cleanShutdown);
  t.is(log.recovery.segmentsScanned, 0);
  t.is(log.logEndOffset, 120);
  t.deepEqual(await readAll(log), before);
  await log.append(batchOfCount(1));
  t.is(log.logEndOffset, 121);
  await log.close();
});

test('flush makes appends durable and says how far', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  await log.append(batchOfCount(3));
  t.is(log.durableOffset, 0);
  t.is(await log.flush(), 3);
  t.is(log.durableOffset, 3);
  await log.append(batchOfCount(3));
  t.is(log.durableOffset, 3);
  env.fs.crash();
  const reopened = await env.open();
  t.true(reopened.logEndOffset >= 3);
  t.deepEqual(
    (await readAll(reopened)).slice(0, 3).map((r) => r.offset),
    [0, 1, 2],
  );
  await reopened.close();
});

test('offsetForTimestamp finds the first record at or after a time', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  for (let i = 0; i < 50; i++) {
    await log.append(
      batchOf([
        { key: 'a', value: 'x', timestamp: 10_000 + i * 10 },
        { key: 'b', value: 'y', timestamp: 10_000 + i * 10 + 5 },
      ]),
    );
  }
  t.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 10_000 });
  t.deepEqual(await log.offsetForTimestamp(10_005), { offset: 1, timestamp: 10_005 });
  t.deepEqual(await log.offsetForTimestamp(10_006), { offset: 2, timestamp: 10_010 });
  t.deepEqual(await log.offsetForTimestamp(10_491), { offset: 99, timestamp: 10_495 });
  t.is(await log.offsetForTimestamp(10_496), null);
  await log.close();
});

test('PartitionLog.open creates the directory on the real file system too', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const root = mkdtempSync(join(tmpdir(), 'tributary-storage-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const log = await PartitionLog.open({
    directory: join(root, 'p0'),
    config: { segmentBytes: 4096, maxBatchBytes: 2048 },
  });
  for (let i = 0; i < 20; i++) await log.append(batchOfCount(5));
  await log.flush();
  const before = await readAll(log);
  await log.close();
  const reopened = await PartitionLog.open({
    directory: join(root, 'p0'),
    config: { segmentBytes: 4096, maxBatchBytes: 2048 },
  });
  t.deepEqual(await readAll(reopened), before);
  t.is(before.length, 100);
  await reopened.close();
});
