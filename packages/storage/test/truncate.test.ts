import test from 'ava';
import { InvalidTruncationError, OffsetOutOfRangeError } from '../src/index.ts';
import { batchOf, batchOfCount, readAll, simEnvironment } from './helpers.ts';

async function logOf(batches: number) {
  const env = simEnvironment(13);
  const log = await env.open();
  for (let i = 0; i < batches; i++) await log.append(batchOfCount(4, 1000 + i, 100));
  await log.flush();
  return { env, log };
}

test('truncateTo cuts between batches, durably, and the next append gets that offset', async (t) => {
  const { env, log } = await logOf(30);
  t.true(log.segmentInfo().length > 3);
  await log.truncateTo(40);
  t.is(log.logEndOffset, 40);
  t.is(log.durableOffset, 40);
  t.deepEqual(
    (await readAll(log)).map((r) => r.offset),
    Array.from({ length: 40 }, (_, i) => i),
  );
  t.is((await log.append(batchOfCount(2))).baseOffset, 40);
  env.fs.crash();
  const reopened = await env.open();
  t.true(reopened.logEndOffset >= 40);
  t.true(reopened.logEndOffset <= 42);
  await reopened.close();
});

test('truncateTo inside a batch, below the start, or past the end', async (t) => {
  const { log } = await logOf(10);
  await t.throwsAsync(log.truncateTo(5), { instanceOf: InvalidTruncationError });
  t.is(log.logEndOffset, 40);
  await log.truncateTo(41);
  await log.truncateTo(40);
  t.is(log.logEndOffset, 40);
  await log.truncateTo(0);
  t.is(log.logEndOffset, 0);
  t.is(log.segmentInfo().length, 1);
  t.is((await log.append(batchOfCount(1))).baseOffset, 0);
  await log.close();
});

test('truncateTo below the log start is OffsetOutOfRangeError', async (t) => {
  const env = simEnvironment(13, { segmentBytes: 2048, maxBatchBytes: 1024, retentionBytes: 0 });
  const log = await env.open();
  for (let i = 0; i < 20; i++) await log.append(batchOfCount(4, 1000, 50));
  await log.applyRetention();
  t.true(log.logStartOffset > 0);
  await t.throwsAsync(log.truncateTo(log.logStartOffset - 1), {
    instanceOf: OffsetOutOfRangeError,
  });
  await log.close();
});

test('truncating into a gap compaction left keeps the end offset across a restart', async (t) => {
  const env = simEnvironment(13, {
    segmentBytes: 4096,
    maxBatchBytes: 1024,
    cleanupPolicy: 'compact',
    deleteRetentionMs: 0,
  });
  const log = await env.open();
  await log.append(batchOf([{ key: 'keep', value: 'x', timestamp: 0 }]));
  for (let i = 0; i < 5; i++)
    await log.append(batchOf([{ key: 'gone', value: null, timestamp: 0 }]));
  await log.roll();
  await log.append(batchOf([{ key: 'later', value: 'y', timestamp: 0 }]));
  await log.compact(); // removes the tombstones at 1..5
  t.deepEqual(
    (await readAll(log)).map((r) => r.offset),
    [0, 6],
  );
  await log.truncateTo(4); // offsets 1..3 are a gap now, and must stay used
  t.is(log.logEndOffset, 4);
  env.fs.crash();
  const reopened = await env.open();
  t.is(reopened.logEndOffset, 4);
  t.is((await reopened.append(batchOfCount(1))).baseOffset, 4);
  t.deepEqual(
    (await readAll(reopened)).map((r) => r.offset),
    [0, 4],
  );
  await reopened.close();
});

test('appends issued before truncateTo land before it; those after wait for it', async (t) => {
  const { log } = await logOf(5);
  const before = log.append(batchOfCount(2));
  const truncation = log.truncateTo(20);
  const after = log.append(batchOfCount(3));
  t.deepEqual(await before, { baseOffset: 20, lastOffset: 21 });
  await truncation;
  t.deepEqual(await after, { baseOffset: 20, lastOffset: 22 });
  t.is(log.logEndOffset, 23);
  await log.close();
});

test('reads running during a truncation see the log before or after it, never torn', async (t) => {
  const { log } = await logOf(30);
  const reads = Array.from({ length: 20 }, (_, i) => log.read(i * 5, 500).catch((error) => error));
  const truncation = log.truncateTo(60);
  const more = Array.from({ length: 20 }, (_, i) => log.read(i * 5, 500).catch((error) => error));
  await truncation;
  for (const result of await Promise.all([...reads, ...more])) {
    if (result instanceof OffsetOutOfRangeError) continue;
    t.false(result instanceof Error, String(result));
    if (result.batches.length === 0) t.is(result.nextOffset, result.logEndOffset);
  }
  t.is(log.fenced, null);
  await log.close();
});
