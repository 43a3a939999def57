/**
 * Read buffers are reused only once given back: a result's `release()` hands its memory to
 * later reads, and a result never released keeps its bytes whatever the log does next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { type FileSystem, PartitionLog, ReadBufferPool } from '../src/index.ts';
import { batchOfCount, decodeBatches, simEnvironment } from './helpers.ts';

const copiesOf = (batches: readonly Uint8Array[]) => batches.map((batch) => Buffer.from(batch));

function unchanged(batches: readonly Uint8Array[], copies: readonly Buffer[]): boolean {
  return batches.every((batch, i) => Buffer.from(batch).equals(copies[i]!));
}

test('a released result lends its buffer to a later read; a held one is never overwritten', async (t) => {
  const env = simEnvironment(7, { tailCacheBytes: 0 });
  const log = await env.open();
  for (let i = 0; i < 40; i++) await log.append(batchOfCount(5, 1000 + i, 30));
  const held = await log.read(0, 600);
  const heldCopies = copiesOf(held.batches);
  const heldRecords = decodeBatches(held.batches);
  t.true(held.batches.length > 1);

  const first = await log.read(held.nextOffset, 600);
  const firstMemory = first.batches[0]!.buffer;
  first.release();
  const second = await log.read(first.nextOffset, 600);
  t.is(second.batches[0]!.buffer, firstMemory, 'the released buffer was reused');
  t.true(env.readBufferPool.reuses >= 1);

  // Many more reads (each released), appends and a roll: the held result never changes.
  for (let round = 0; round < 20; round++) {
    for (let offset = 0; offset < log.logEndOffset; ) {
      const result = await log.read(offset, 300 + round * 50);
      t.not(result.batches[0]!.buffer, held.batches[0]!.buffer, 'held memory is not lent');
      offset = result.nextOffset;
      result.release();
    }
    await log.append(batchOfCount(5, 5000 + round, 30));
    if (round % 7 === 6) await log.roll();
  }
  t.true(unchanged(held.batches, heldCopies));
  t.deepEqual(decodeBatches(held.batches), heldRecords);
  second.release();
  held.release();
  await log.close();
});

test('releasing a result twice is a programmer error; empty and cached results hold nothing', async (t) => {
  const env = simEnvironment(8, { tailCacheBytes: 64 * 1024 });
  const log = await env.open();
  await log.append(batchOfCount(3));
  await log.roll();
  await log.append(batchOfCount(3));
  const fromFile = await log.read(0, 1000);
  fromFile.release();
  t.throws(() => fromFile.release(), { message: /released twice/ });
  const fromCache = await log.read(3, 1000);
  fromCache.release();
  fromCache.release(); // the appended buffers themselves: nothing to give back
  const atEnd = await log.read(log.logEndOffset, 1000);
  t.is(atEnd.batches.length, 0);
  atEnd.release();
  t.is(env.readBufferPool.reuses, 0, 'only the file read took a buffer');
  await log.close();
});

test('the pool keeps at most its budget of idle buffers and refuses buffers it did not lend', (t) => {
  const pool = new ReadBufferPool({ bytesMax: 200 * 1024 });
  const taken = [pool.take(64 * 1024), pool.take(100 * 1024), pool.take(10)];
  t.deepEqual(
    taken.map((buffer) => buffer.length),
    [64 * 1024, 100 * 1024, 10],
  );
  for (const buffer of taken) pool.give(buffer);
  t.true(pool.pooledBytes <= 200 * 1024, `${pool.pooledBytes} idle bytes`);
  const again = pool.take(60 * 1024);
  t.is(pool.reuses, 1);
  pool.give(again);
  t.throws(() => pool.give(again), { message: /not lent/ });
  t.throws(() => pool.give(new Uint8Array(10)), { message: /not lent/ });
});

test('on the real file system, held results survive released reads of the whole log', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-read-buffers-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const pool = new ReadBufferPool();
  const log = await PartitionLog.open({
    directory,
    readBufferPool: pool,
    config: { tailCacheBytes: 0 },
  });
  for (let i = 0; i < 200; i++) await log.append(batchOfCount(50, 1000 + i, 100));
  await log.flush();
  const held: { batches: Uint8Array[]; copies: Buffer[] }[] = [];
  for (let pass = 0; pass < 3; pass++) {
    for (let offset = 0; offset < log.logEndOffset; ) {
      const result = await log.read(offset, 16 * 1024);
      offset = result.nextOffset;
      if (offset % 7 === 0)
        held.push({ batches: result.batches, copies: copiesOf(result.batches) });
      else result.release();
    }
  }
  t.true(pool.reuses > 0);
  t.true(held.length > 0);
  for (const { batches, copies } of held) t.true(unchanged(batches, copies));
  await log.close();
});

test('a read does not read on past its first chunk for a batch it cannot take', async (t) => {
  const env = simEnvironment(9, {
    tailCacheBytes: 0,
    maxBatchBytes: 256 * 1024,
    segmentBytes: 4 * 1024 * 1024,
    indexIntervalBytes: 4096,
    appendBufferBytesMax: 1024 * 1024,
    compactionKeysMax: 64 * 1024,
  });
  let bytesRead = 0;
  const counting: FileSystem = {
    makeDirectory: (path) => env.fs.makeDirectory(path),
    list: (path) => env.fs.list(path),
    rename: (from, to) => env.fs.rename(from, to),
    unlink: (path) => env.fs.unlink(path),
    syncDirectory: (path) => env.fs.syncDirectory(path),
    open: async (path, mode) => {
      const handle = await env.fs.open(path, mode);
      return {
        size: () => handle.size(),
        read: async (target, position) => {
          const count = await handle.read(target, position);
          bytesRead += count;
          return count;
        },
        write: (buffers, position) => handle.write(buffers, position),
        truncate: (sizeBytes) => handle.truncate(sizeBytes),
        datasync: () => handle.datasync(),
        close: () => handle.close(),
      };
    },
  };
  const log = await env.open({ fileSystem: counting });
  for (let i = 0; i < 6; i++) await log.append(batchOfCount(1000, 1000 + i, 90));
  const batchBytes = log.sizeBytes / 6 - 12;
  t.true(batchBytes > 64 * 1024, `${batchBytes}-byte batches exceed the smallest chunk`);
  bytesRead = 0;
  // Room for more than the batch, but not for two: the second is not taken.
  const maxBytes = batchBytes + 100;
  const result = await log.read(1000, maxBytes);
  t.is(result.batches.length, 1);
  t.is(result.nextOffset, 2000);
  // One chunk: the batch, the index interval and two frame headers; not a second chunk
  // to complete the next batch, which could not be taken.
  t.true(
    bytesRead <= maxBytes + 4096 + 24,
    `${bytesRead} bytes read for a ${batchBytes}-byte batch`,
  );
  result.release();
  await log.close();
});
