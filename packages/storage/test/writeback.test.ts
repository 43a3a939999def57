/**
 * Background writeback: every `writebackBytes` written, the writer starts an fdatasync of
 * the active segment without holding up later writes; tasks (flush, roll, truncation,
 * close) wait for it; a failure fences the log; it never moves the durable offset.
 */
import test from 'ava';
import { type FileHandle, type FileSystem, LogFencedError, StorageIoError } from '../src/index.ts';
import { batchOfCount, readAll, simEnvironment } from './helpers.ts';

/**
 * The simulated disk, with each `.log` fdatasync after `arm()` (recovery syncs the tail
 * when the log opens) passed to `onDatasync` to run or not.
 */
function watchedLogSyncs(
  fs: FileSystem,
  onDatasync: (run: () => Promise<void>) => Promise<void>,
): FileSystem & { arm(): void } {
  let armed = false;
  const watch = (handle: FileHandle): FileHandle => ({
    size: () => handle.size(),
    read: (target, position) => handle.read(target, position),
    write: (buffers, position) => handle.write(buffers, position),
    truncate: (sizeBytes) => handle.truncate(sizeBytes),
    datasync: () => (armed ? onDatasync(() => handle.datasync()) : handle.datasync()),
    close: () => handle.close(),
  });
  return {
    arm: () => {
      armed = true;
    },
    makeDirectory: (path) => fs.makeDirectory(path),
    list: (path) => fs.list(path),
    open: async (path, mode) => {
      const handle = await fs.open(path, mode);
      return path.endsWith('.log') ? watch(handle) : handle;
    },
    rename: (from, to) => fs.rename(from, to),
    unlink: (path) => fs.unlink(path),
    syncDirectory: (path) => fs.syncDirectory(path),
  };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

const config = {
  segmentBytes: 64 * 1024,
  maxBatchBytes: 2048,
  appendBufferBytesMax: 8 * 1024,
  writebackBytes: 4096,
};

test('writes go on under a background writeback; flush waits for it and alone moves the durable offset', async (t) => {
  const env = simEnvironment(31, config);
  let syncs = 0;
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const fileSystem = watchedLogSyncs(env.fs, async (run) => {
    syncs += 1;
    if (syncs === 1) await gate; // only the writeback; flush's own sync runs at once
    await run();
  });
  const log = await env.open({ fileSystem });
  fileSystem.arm();
  // 20 batches of about 1 KiB: the writeback starts after 4 KiB and is held at the gate,
  // while every later append is written all the same.
  for (let i = 0; i < 20; i++) await log.append(batchOfCount(8, 1000, 100));
  await settle();
  t.is(syncs, 1, 'one writeback started (and held); no second while it runs');
  t.is(log.durableOffset, 0, 'a writeback makes nothing durable for the log');
  const records = await readAll(log);
  t.is(records.length, 160, 'every append was written while the writeback was held');
  let flushed = false;
  const flush = log.flush().then((durable) => {
    flushed = true;
    return durable;
  });
  await settle();
  t.false(flushed, 'flush waits for the writeback in flight');
  openGate();
  t.is(await flush, 160);
  await log.close();
});

test('without writebackBytes nothing is synced before a flush', async (t) => {
  const env = simEnvironment(32, { ...config, writebackBytes: 0 });
  let syncs = 0;
  const fileSystem = watchedLogSyncs(env.fs, (run) => {
    syncs += 1;
    return run();
  });
  const log = await env.open({ fileSystem });
  fileSystem.arm();
  for (let i = 0; i < 20; i++) await log.append(batchOfCount(8, 1000, 100));
  await settle();
  t.is(syncs, 0);
  await log.flush();
  t.is(syncs, 1);
  await log.close();
});

test('a failed background writeback fences the log', async (t) => {
  const env = simEnvironment(33, config);
  const fileSystem = watchedLogSyncs(env.fs, () =>
    Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
  );
  const log = await env.open({ fileSystem });
  // The owner hears of it once, with the cause; one that asks later hears at once.
  const heard: unknown[] = [];
  log.onFenced((cause) => heard.push(cause));
  fileSystem.arm();
  const appends: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) appends.push(log.append(batchOfCount(8, 1000, 100)).catch(() => {}));
  await Promise.all(appends);
  await settle();
  t.true(log.fenced instanceof StorageIoError, `fenced by ${String(log.fenced)}`);
  t.deepEqual(heard, [log.fenced]);
  log.onFenced((cause) => heard.push(cause));
  t.deepEqual(heard, [log.fenced, log.fenced]);
  await t.throwsAsync(log.append(batchOfCount(1)), { instanceOf: LogFencedError });
  await t.throwsAsync(log.flush(), { instanceOf: LogFencedError });
  await log.close();
});
