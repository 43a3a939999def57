import { stampBaseOffset } from '@tributary/protocol';
import test from 'ava';
import { InvalidBatchError } from '../src/index.ts';
import { batchOfCount, readAll, simEnvironment } from './helpers.ts';

function batchAt(offset: number, count: number): Uint8Array {
  const batch = batchOfCount(count);
  stampBaseOffset(batch, offset);
  return batch;
}

test('copied batches keep their offsets, gaps included, and survive a reopen', async (t) => {
  const env = simEnvironment();
  const log = await env.open({ initialOffset: 10 });
  await log.appendCopied(batchAt(10, 2));
  await log.appendCopied(batchAt(15, 3)); // a compacted source leaves gaps
  t.is(log.logStartOffset, 10);
  t.is(log.logEndOffset, 18);
  const after = await log.append(batchOfCount(1));
  t.is(after.baseOffset, 18);
  await log.flush();
  await log.close();
  const reopened = await env.open();
  t.deepEqual(
    (await readAll(reopened)).map((r) => r.offset),
    [10, 11, 15, 16, 17, 18],
  );
  await reopened.close();
});

test('a copied batch below the log end is refused and changes nothing', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  await log.appendCopied(batchAt(0, 5));
  await t.throwsAsync(log.appendCopied(batchAt(3, 1)), { instanceOf: InvalidBatchError });
  t.is(log.logEndOffset, 5);
  await log.close();
});

// A copy from a compacted replica whose records just below the end it must reach were
// compacted away has no batch to append there: the end moves without one.
test('the log end moves forward without a batch, and stays there after a crash', async (t) => {
  const env = simEnvironment();
  const log = await env.open();
  await log.appendCopied(batchAt(0, 2));
  await log.advanceCopiedEnd(9);
  t.is(log.logEndOffset, 9);
  await log.advanceCopiedEnd(9); // already there: nothing to do
  await t.throwsAsync(log.advanceCopiedEnd(8), { instanceOf: InvalidBatchError });
  await t.throwsAsync(log.advanceCopiedEnd(Number.NaN), { instanceOf: InvalidBatchError });
  t.deepEqual(
    (await readAll(log)).map((r) => r.offset),
    [0, 1],
  );
  await log.flush();
  // Power lost: the end was durable once advanceCopiedEnd resolved and the log flushed.
  env.fs.crash();
  const reopened = await env.open();
  t.is(reopened.logEndOffset, 9);
  const next = await reopened.append(batchOfCount(1));
  t.is(next.baseOffset, 9, 'appends go on from the new end');
  t.deepEqual(
    (await readAll(reopened)).map((r) => r.offset),
    [0, 1, 9],
  );
  const inGap = await reopened.read(4, 64 * 1024);
  t.true(inGap.batches.length > 0, 'a read in the gap reaches the next record');
  inGap.release();
  await reopened.close();
});

test('an empty log can start its copy past its first offset', async (t) => {
  const env = simEnvironment();
  const log = await env.open({ initialOffset: 3 });
  await log.advanceCopiedEnd(7);
  await log.close();
  const reopened = await env.open();
  t.is(reopened.logEndOffset, 7);
  t.is(reopened.logStartOffset, 3);
  await reopened.close();
});
