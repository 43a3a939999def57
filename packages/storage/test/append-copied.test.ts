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
