import test from 'ava';
import { CorruptLogError, LogFencedError } from '../src/index.ts';
import { checkpointFileName, segmentFileName } from '../src/internal.ts';
import { batchOfCount, directory, readAll, simEnvironment } from './helpers.ts';

const logFile = (base: number) => segmentFileName(base, 'log');
const path = (name: string) => `${directory}/${name}`;

/** A log whose first `durable` batches were flushed and next `more` were not (one segment). */
async function flushedThenMore(durable: number, more: number) {
  const env = simEnvironment(7, {
    segmentBytes: 64 * 1024,
    maxBatchBytes: 2048,
    indexIntervalBytes: 256,
  });
  const log = await env.open();
  for (let i = 0; i < durable; i++) await log.append(batchOfCount(3));
  await log.flush();
  const durableBytes = env.fs.fileBytes(path(logFile(0))).length;
  for (let i = 0; i < more; i++) await log.append(batchOfCount(3));
  await log.read(log.logEndOffset - 1, 1); // waits until the writer wrote everything
  return { env, log, durableBytes, totalBytes: env.fs.fileBytes(path(logFile(0))).length };
}

test('a torn tail past the durable offset is truncated at the last whole frame', async (t) => {
  const { env, durableBytes, totalBytes } = await flushedThenMore(5, 4);
  const frameBytes = (totalBytes - durableBytes) / 4;
  // Keep two whole unsynced frames and half of the third.
  env.fs.crash({ cut: (name, low) => (name === logFile(0) ? low + frameBytes * 2.5 : low) });
  const log = await env.open();
  t.false(log.recovery.cleanShutdown);
  t.is(log.recovery.tornBytesTruncated, frameBytes / 2);
  t.is(log.logEndOffset, 21);
  t.is((await readAll(log)).length, 21);
  await log.append(batchOfCount(1));
  t.is(log.logEndOffset, 22);
  await log.close();
});

test('losing every unsynced byte loses only what was not flushed', async (t) => {
  const { env } = await flushedThenMore(5, 4);
  env.fs.crash({ cut: (_name, low) => low });
  const log = await env.open();
  t.is(log.logEndOffset, 15);
  t.is(log.recovery.tornBytesTruncated, 0);
  await log.close();
});

test('a damaged frame past the durable offset followed by a valid frame is corruption', async (t) => {
  const { env, durableBytes, totalBytes } = await flushedThenMore(5, 4);
  const frameBytes = (totalBytes - durableBytes) / 4;
  env.fs.crash({ cut: (_name, _low, high) => high });
  env.fs.corrupt(path(logFile(0)), durableBytes + frameBytes + 30, 0x01); // inside frame 7
  const error = await t.throwsAsync(env.open(), { instanceOf: CorruptLogError });
  t.regex(error!.message, /followed by a valid frame/);
  t.true(error!.fatal);
});

test('a damaged length field followed by valid frames is found by the resync search', async (t) => {
  const { env, durableBytes } = await flushedThenMore(5, 4);
  env.fs.crash({ cut: (_name, _low, high) => high });
  env.fs.corrupt(path(logFile(0)), durableBytes + 2, 0x40); // length of the first unsynced frame
  await t.throwsAsync(env.open(), {
    instanceOf: CorruptLogError,
    message: /followed by a valid frame/,
  });
});

test('damage in the last frame past the durable offset is a torn tail', async (t) => {
  const { env, totalBytes } = await flushedThenMore(5, 4);
  env.fs.crash({ cut: (_name, _low, high) => high });
  env.fs.corrupt(path(logFile(0)), totalBytes - 5, 0x01);
  const log = await env.open();
  t.is(log.logEndOffset, 24);
  t.true(log.recovery.tornBytesTruncated > 0);
  await log.close();
});

test('damage before the durable offset is corruption, even in the last frame before it', async (t) => {
  const { env, durableBytes } = await flushedThenMore(5, 0);
  env.fs.crash();
  env.fs.corrupt(path(logFile(0)), durableBytes - 5, 0x01);
  await t.throwsAsync(env.open(), {
    instanceOf: CorruptLogError,
    message: /below the durable offset/,
  });
});

test('a log shorter than its durable offset is corruption (durable data lost)', async (t) => {
  const { env, durableBytes } = await flushedThenMore(5, 0);
  const handle = await env.fs.open(path(logFile(0)), 'readWrite');
  await handle.truncate(durableBytes - 100); // the disk lost the end of the log
  await handle.datasync();
  env.fs.crash();
  await t.throwsAsync(env.open(), { instanceOf: CorruptLogError });
});

async function sealedSegments() {
  const env = simEnvironment(3);
  const log = await env.open();
  for (let i = 0; i < 40; i++) await log.append(batchOfCount(10, 1000 + i, 50));
  const records = await readAll(log);
  const segments = log.segmentInfo();
  await log.flush();
  return { env, log, records, segments };
}

test('damaged or missing index files of sealed segments are rebuilt from the log', async (t) => {
  const { env, log, records, segments } = await sealedSegments();
  t.true(segments.length >= 4);
  await log.close();
  env.fs.corrupt(path(segmentFileName(segments[1]!.baseOffset, 'index')), 20, 0xff);
  await env.fs.unlink(path(segmentFileName(segments[2]!.baseOffset, 'timeindex')));
  const reopened = await env.open();
  t.true(reopened.recovery.cleanShutdown);
  t.is(reopened.recovery.segmentsScanned, 2);
  t.deepEqual(await readAll(reopened, 200), records);
  t.deepEqual(await reopened.offsetForTimestamp(1020), { offset: 200, timestamp: 1020 });
  await reopened.close();
  const again = await env.open();
  t.is(again.recovery.segmentsScanned, 0, 'the rebuilt seals were written back');
  await again.close();
});

test('corruption in a sealed segment is found on read and fences the log', async (t) => {
  const { env, log, segments } = await sealedSegments();
  await log.close();
  env.fs.corrupt(path(logFile(segments[1]!.baseOffset)), 100, 0x10);
  const reopened = await env.open(); // its seal is intact, so open trusts it
  await t.throwsAsync(reopened.read(segments[1]!.baseOffset, 100_000), {
    instanceOf: CorruptLogError,
  });
  t.true(reopened.fenced instanceof CorruptLogError);
  await t.throwsAsync(reopened.read(0, 100), { instanceOf: LogFencedError });
  await t.throwsAsync(reopened.append(batchOfCount(1)), { instanceOf: LogFencedError });
  await reopened.close();
});

test('corruption in an unsealed non-tail segment fails the open', async (t) => {
  const { env, log, segments } = await sealedSegments();
  await log.close();
  await env.fs.unlink(path(segmentFileName(segments[1]!.baseOffset, 'index')));
  env.fs.corrupt(path(logFile(segments[1]!.baseOffset)), 100, 0x10);
  await t.throwsAsync(env.open(), {
    instanceOf: CorruptLogError,
    message: /made durable before the next one was created/,
  });
});

test('a torn checkpoint slot falls back to the other; two bad slots are corruption', async (t) => {
  const { env, log } = await sealedSegments();
  await log.close();
  env.fs.corrupt(path(checkpointFileName), 10, 0x01);
  const reopened = await env.open();
  t.is(reopened.logEndOffset, 400);
  await reopened.close();
  env.fs.corrupt(path(checkpointFileName), 10, 0x01);
  env.fs.corrupt(path(checkpointFileName), 40, 0x01);
  env.fs.corrupt(path(checkpointFileName), 10 + 32, 0x01);
  await t.throwsAsync(env.open(), { instanceOf: CorruptLogError, message: /checkpoint/ });
});

test('a crash at any step of opening, appending, rolling and flushing never loses flushed data', async (t) => {
  for (let step = 1; step <= 40; step++) {
    const env = simEnvironment(step);
    const log = await env.open();
    for (let i = 0; i < 12; i++) await log.append(batchOfCount(10, 1000, 50));
    const durable = await log.flush();
    env.fs.armCrash(step);
    try {
      for (let i = 0; i < 12; i++) await log.append(batchOfCount(10, 1000, 50));
      await log.flush();
      await log.roll();
      await log.close();
    } catch {
      // the crash stopped it
    }
    env.fs.disarmCrash();
    env.fs.crash();
    const reopened = await env.open();
    t.true(reopened.logEndOffset >= durable, `step ${step}`);
    const records = await readAll(reopened);
    t.deepEqual(
      records.map((r) => r.offset),
      Array.from({ length: reopened.logEndOffset }, (_, i) => i),
      `step ${step}`,
    );
    await reopened.close();
  }
});
