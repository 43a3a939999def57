import test from 'ava';
import { OffsetOutOfRangeError } from '../src/index.ts';
import { segmentsToDelete } from '../src/internal.ts';
import { batchOfCount, readAll, simEnvironment } from './helpers.ts';

async function logOfSegments(config: Record<string, unknown>) {
  const env = simEnvironment(9, {
    segmentBytes: 2048,
    maxBatchBytes: 1024,
    indexIntervalBytes: 256,
    ...config,
  });
  const log = await env.open();
  for (let i = 0; i < 30; i++) {
    await log.append(batchOfCount(5, env.clock.nowMs(), 40));
    env.clock.advance(1000);
  }
  return { env, log };
}

test('retention by time deletes closed segments whose newest batch is too old', async (t) => {
  const { env, log } = await logOfSegments({ retentionMs: 10_000 });
  const segments = log.segmentInfo();
  t.true(segments.length > 4);
  const result = await log.applyRetention();
  const now = env.clock.nowMs();
  const kept = log.segmentInfo();
  t.true(result.segmentsDeleted > 0);
  t.is(result.logStartOffset, kept[0]!.baseOffset);
  t.is(log.logStartOffset, kept[0]!.baseOffset);
  for (const gone of segments.slice(0, result.segmentsDeleted))
    t.true(now - gone.maxTimestamp > 10_000);
  t.true(now - kept[0]!.maxTimestamp <= 10_000 || kept[0]!.active);
  t.is((await readAll(log)).length, 150 - log.logStartOffset);
  await log.close();
});

test('retention by size deletes the oldest closed segments while the log stays above the limit', async (t) => {
  const { log } = await logOfSegments({ retentionBytes: 5000, retentionMs: -1 });
  const before = log.sizeBytes;
  const result = await log.applyRetention();
  t.true(result.segmentsDeleted > 0);
  t.true(log.sizeBytes >= 5000);
  t.is(before - result.bytesDeleted, log.sizeBytes);
  t.true(
    log.sizeBytes - log.segmentInfo()[0]!.sizeBytes < 5000,
    'one more deletion would go below',
  );
  await log.close();
});

test('the active segment is never deleted, even when everything has expired', async (t) => {
  const { env, log } = await logOfSegments({ retentionMs: 0, retentionBytes: 0 });
  env.clock.advance(1_000_000);
  await log.applyRetention();
  const segments = log.segmentInfo();
  t.is(segments.length, 1);
  t.true(segments[0]!.active);
  await log.close();
});

test('reads below the log start get OffsetOutOfRangeError with the valid range', async (t) => {
  const { log } = await logOfSegments({ retentionBytes: 3000 });
  await log.applyRetention();
  const start = log.logStartOffset;
  t.true(start > 0);
  const error = await t.throwsAsync(log.read(start - 1, 1000), {
    instanceOf: OffsetOutOfRangeError,
  });
  t.is(error!.logStartOffset, start);
  t.is(error!.logEndOffset, 150);
  t.is(error!.protocolError.name, 'OFFSET_OUT_OF_RANGE');
  const above = await t.throwsAsync(log.read(151, 1000), { instanceOf: OffsetOutOfRangeError });
  t.is(above!.logEndOffset, 150);
  t.is((await log.read(start, 1)).batches.length, 1);
  await log.close();
});

test('retention survives a reopen: the log start stays where it moved', async (t) => {
  const { env, log } = await logOfSegments({ retentionBytes: 3000 });
  await log.applyRetention();
  const start = log.logStartOffset;
  await log.close();
  const reopened = await env.open();
  t.is(reopened.logStartOffset, start);
  await reopened.close();
});

test('segmentsToDelete: the time rule, then the size rule, always a prefix', (t) => {
  const segments = [
    { sizeBytes: 100, maxTimestamp: 1000 },
    { sizeBytes: 100, maxTimestamp: -1 },
    { sizeBytes: 100, maxTimestamp: 5000 },
    { sizeBytes: 100, maxTimestamp: 2000 },
  ];
  const total = 500; // plus a 100-byte active segment
  t.is(segmentsToDelete(segments, total, { retentionMs: -1, retentionBytes: -1 }, 10_000), 0);
  t.is(segmentsToDelete(segments, total, { retentionMs: 6000, retentionBytes: -1 }, 10_000), 2);
  t.is(segmentsToDelete(segments, total, { retentionMs: 4000, retentionBytes: -1 }, 10_000), 4);
  t.is(segmentsToDelete(segments, total, { retentionMs: -1, retentionBytes: 250 }, 10_000), 2);
  t.is(segmentsToDelete(segments, total, { retentionMs: -1, retentionBytes: 0 }, 10_000), 4);
  t.is(segmentsToDelete(segments, total, { retentionMs: 9000, retentionBytes: 300 }, 10_000), 2);
  t.is(segmentsToDelete(segments, total, { retentionMs: 9001, retentionBytes: -1 }, 10_000), 0);
});

test('a retention change on a live log applies from the next pass; a bad one is refused', async (t) => {
  const { log } = await logOfSegments({ retentionMs: -1 });
  t.is((await log.applyRetention()).segmentsDeleted, 0);
  t.throws(() => log.reconfigure({ retentionMs: -7 }));
  t.is(log.config.retentionMs, -1);
  log.reconfigure({ retentionMs: 10_000 });
  t.true((await log.applyRetention()).segmentsDeleted > 0);
  await log.close();
});
