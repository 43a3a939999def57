import test from 'ava';
import type { FileHandle, FileSystem } from '../src/index.ts';
import { batchOfCount, readAll, simEnvironment } from './helpers.ts';

/** The simulated disk, with writes to `.log` files held until `open()` is called. */
function gatedLogWrites(fs: FileSystem): { fileSystem: FileSystem; open: () => void } {
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const hold = (handle: FileHandle): FileHandle => ({
    size: () => handle.size(),
    read: (target, position) => handle.read(target, position),
    write: async (buffers, position) => {
      await gate;
      return handle.write(buffers, position);
    },
    truncate: (sizeBytes) => handle.truncate(sizeBytes),
    datasync: () => handle.datasync(),
    close: () => handle.close(),
  });
  const fileSystem: FileSystem = {
    makeDirectory: (path) => fs.makeDirectory(path),
    list: (path) => fs.list(path),
    open: async (path, mode) => {
      const handle = await fs.open(path, mode);
      return path.endsWith('.log') ? hold(handle) : handle;
    },
    rename: (from, to) => fs.rename(from, to),
    unlink: (path) => fs.unlink(path),
    syncDirectory: (path) => fs.syncDirectory(path),
  };
  return { fileSystem, open: openGate };
}

/** Lets every runnable continuation run (the simulated disk does no real I/O). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

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

/**
 * A log whose append buffer holds four ~1 KB frames, and whose disk writes are held until
 * `gated.open()`; `batch()` makes one such frame's batch.
 */
async function smallBufferLogWithHeldWrites(seed: number) {
  const env = simEnvironment(seed, {
    appendBufferBytesMax: 4096,
    maxBatchBytes: 1024,
    segmentBytes: 64 * 1024,
  });
  const gated = gatedLogWrites(env.fs);
  const log = await env.open({ fileSystem: gated.fileSystem });
  return { gated, log, batch: () => batchOfCount(10, 1000, 80) };
}

test('appenders refill the append buffer while a write is in flight, and no further', async (t) => {
  const { gated, log, batch } = await smallBufferLogWithHeldWrites(22);
  const frameBytes = batch().length + 12;
  t.true(frameBytes > 900 && frameBytes <= 1024, `${frameBytes}-byte frames`);
  // The first append's frame goes to the disk at once (and is held there); the buffer then
  // takes four more (4 x frameBytes <= 4096), and the sixth must wait for the held write.
  const settled: boolean[] = [];
  const appends = Array.from({ length: 8 }, (_, i) =>
    log.append(batch()).then((result) => {
      settled[i] = true;
      return result;
    }),
  );
  await Promise.all(appends.slice(0, 5));
  await settle();
  t.deepEqual(
    settled.map((done, i) => (done ? i : -1)).filter((i) => i >= 0),
    [0, 1, 2, 3, 4],
    'five appends complete while the first write is held; the rest wait',
  );
  gated.open();
  const results = await Promise.all(appends);
  t.deepEqual(
    results.map((r) => r.baseOffset),
    Array.from({ length: 8 }, (_, i) => i * 10),
  );
  await log.flush();
  const records = await readAll(log);
  t.deepEqual(
    records.map((r) => r.offset),
    Array.from({ length: 80 }, (_, i) => i),
  );
  await log.close();
});

test('a batch with a bad CRC that waited for room is refused in its turn and gives the room back', async (t) => {
  const { gated, log, batch } = await smallBufferLogWithHeldWrites(23);
  const damaged = batch();
  damaged[damaged.length - 1]! ^= 0x01; // a record byte: only the CRC-32C can tell
  // The first five fill the disk's held write and the buffer; the damaged one waits for room.
  const before = Array.from({ length: 5 }, () => log.append(batch()));
  const refused = log.append(damaged).then(
    () => 'appended',
    (error: Error) => error.name,
  );
  const after = Array.from({ length: 3 }, () => log.append(batch()));
  await Promise.all(before);
  await settle();
  gated.open();
  t.is(await refused, 'InvalidBatchError');
  const offsets = (await Promise.all([...before, ...after])).map((r) => r.baseOffset);
  t.deepEqual(
    offsets,
    Array.from({ length: 8 }, (_, i) => i * 10),
    'the refused batch took no offsets and the later appends kept their order',
  );
  await log.flush();
  t.is((await readAll(log)).length, 80);
  await log.close();
});
