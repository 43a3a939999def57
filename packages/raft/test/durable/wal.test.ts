import test from 'ava';
import { RaftStorageError } from '../../src/durable/errors.ts';
import { RaftWal } from '../../src/durable/wal.ts';
import { makeEntries, plain, temporaryDirectory } from './helpers.ts';

test('entries, hard state and config of many groups survive a clean restart', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  for (let group = 0; group < 20; group++) {
    const storage = wal.group(group);
    storage.stage({
      entries: makeEntries(1, 10, 1, 8 + group),
      hardState: { term: 1, vote: 2, commit: 5 },
      config: { voters: [1, 2, 3], outgoingVoters: [], learners: [4] },
    });
  }
  await wal.sync();
  t.is(wal.stats().segmentSyncs, 1, 'one fdatasync for twenty groups');
  await wal.close();

  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  t.deepEqual(
    reopened.groupIds().sort((a, b) => a - b),
    [...Array(20).keys()],
  );
  for (let group = 0; group < 20; group++) {
    const storage = reopened.group(group);
    t.is(storage.firstIndex(), 1);
    t.is(storage.lastIndex(), 10);
    t.is(storage.term(10), 1);
    t.deepEqual(plain(storage.entries(1, 11, 1e9)), plain(makeEntries(1, 10, 1, 8 + group)));
    t.deepEqual(storage.initialState(), {
      hardState: { term: 1, vote: 2, commit: 5 },
      config: { voters: [1, 2, 3], outgoingVoters: [], learners: [4] },
    });
    t.is(storage.recovery.votingDisabledUntilIndex, 0);
  }
});

test('an append at index i replaces the suffix from i, in memory and after restart', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  const storage = wal.group(1);
  storage.stage({ entries: makeEntries(1, 10, 1) });
  await wal.sync();
  storage.stage({ entries: makeEntries(6, 2, 2) });
  t.is(storage.lastIndex(), 7);
  t.is(storage.term(5), 1);
  t.is(storage.term(6), 2);
  t.is(storage.term(8), undefined);
  await wal.close();
  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  const again = reopened.group(1);
  t.is(again.lastIndex(), 7);
  t.deepEqual(
    plain(again.entries(1, 8, 1e9)),
    plain([...makeEntries(1, 5, 1), ...makeEntries(6, 2, 2)]),
  );
});

test('entries() honours bytesMax but returns at least one entry', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  const storage = wal.group(3);
  storage.stage({ entries: makeEntries(1, 10, 1, 100) });
  t.is(storage.entries(1, 11, 250).length, 2);
  t.is(storage.entries(1, 11, 10).length, 1);
  t.throws(() => storage.entries(0, 2, 100), {
    instanceOf: RaftStorageError,
    message: /compacted/,
  });
  t.throws(() => storage.entries(1, 12, 100), {
    instanceOf: RaftStorageError,
    message: /past the log/,
  });
});

test('entries evicted from the cache are read back from disk', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir, cacheBytes: 0 });
  t.teardown(() => wal.close());
  const storage = wal.group(1);
  storage.stage({ entries: makeEntries(1, 50, 1, 40) });
  storage.stage({ entries: makeEntries(51, 50, 2, 40) });
  await wal.sync();
  t.is(wal.stats().cacheBytes, 0);
  const before = wal.stats().diskReads;
  t.deepEqual(
    plain(storage.entries(1, 101, 1e9)),
    plain([...makeEntries(1, 50, 1, 40), ...makeEntries(51, 50, 2, 40)]),
  );
  t.is(storage.term(50), 1);
  t.is(storage.term(51), 2);
  t.true(wal.stats().diskReads > before);
});

test('compaction and snapshots: the log starts after the snapshot, old segments are deleted', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir, segmentBytes: 4096 });
  const storage = wal.group(9);
  let next = 1;
  for (let round = 0; round < 20; round++) {
    storage.stage({
      entries: makeEntries(next, 10, 1, 50),
      hardState: { term: 1, vote: 0, commit: next + 9 },
    });
    next += 10;
    await wal.sync();
  }
  t.true(wal.stats().segments > 3, 'the segment rolled');
  const snapshot = {
    metadata: { index: 150, term: 1, config: { voters: [1], outgoingVoters: [], learners: [] } },
    data: new Uint8Array([1, 2, 3]),
  };
  storage.saveSnapshot(snapshot);
  storage.compact(150);
  storage.stage({ entries: makeEntries(next, 10, 1, 50) });
  await wal.sync();
  storage.stage({ entries: makeEntries(next + 10, 10, 1, 50) });
  await wal.sync();
  await wal.sync();
  t.is(storage.firstIndex(), 151);
  t.is(storage.term(150), 1);
  t.is(storage.term(149), undefined);
  t.true(wal.stats().segments <= 3, `segments deleted (${wal.stats().segments} left)`);
  await wal.close();
  const reopened = await RaftWal.open({ dir, segmentBytes: 4096 });
  t.teardown(() => reopened.close());
  const again = reopened.group(9);
  t.is(again.firstIndex(), 151);
  t.is(again.lastIndex(), 220);
  t.deepEqual(again.snapshot()?.metadata.index, 150);
  t.deepEqual([...(again.snapshot()?.data ?? [])], [1, 2, 3]);
  t.deepEqual(
    plain(again.entries(151, 221, 1e9)),
    plain([...makeEntries(151, 50, 1, 50), ...makeEntries(201, 20, 1, 50)]),
  );
});

test('an installed snapshot replaces the whole log', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  const storage = wal.group(2);
  storage.stage({ entries: makeEntries(1, 5, 1) });
  await wal.sync();
  const snapshot = {
    metadata: { index: 100, term: 3, config: { voters: [1, 2], outgoingVoters: [], learners: [] } },
    data: new Uint8Array(1000).fill(7),
  };
  storage.stage({
    snapshot,
    entries: makeEntries(101, 2, 3),
    hardState: { term: 3, vote: 0, commit: 100 },
  });
  t.is(storage.firstIndex(), 101);
  t.is(storage.lastIndex(), 102);
  t.deepEqual(storage.initialState().config.voters, [1, 2]);
  t.is(storage.snapshot()?.data.byteLength, 1000);
  await wal.close();
  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  const again = reopened.group(2);
  t.is(again.firstIndex(), 101);
  t.is(again.lastIndex(), 102);
  t.is(again.term(100), 3);
  t.deepEqual(again.initialState().config.voters, [1, 2]);
  t.is(again.snapshot()?.data.byteLength, 1000);
});

test('removed groups stay removed after restart', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  wal.group(1).stage({ entries: makeEntries(1, 3, 1) });
  wal.group(2).stage({ entries: makeEntries(1, 3, 1) });
  await wal.sync();
  wal.removeGroup(1);
  await wal.close();
  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  t.deepEqual(reopened.groupIds(), [2]);
});

test('concurrent sync() calls coalesce into few flushes', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  const waits: Promise<void>[] = [];
  for (let group = 0; group < 100; group++) {
    wal.group(group).stage({ entries: makeEntries(1, 1, 1) });
    waits.push(wal.sync());
  }
  await Promise.all(waits);
  t.is(wal.stats().flushes, 1);
});

test('the hard state is restored from the acknowledged file if the WAL lost it', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  wal.group(1).stage({ entries: makeEntries(1, 3, 1), hardState: { term: 1, vote: 0, commit: 0 } });
  await wal.sync();
  wal.group(1).stage({ hardState: { term: 5, vote: 3, commit: 0 } });
  await wal.sync();
  await wal.close();
  // Lose the WAL entirely (an operator wiped it), keep the acknowledged file.
  const { rmSync } = await import('node:fs');
  rmSync(`${dir}/wal`, { recursive: true });
  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  const storage = reopened.group(1);
  t.deepEqual(storage.initialState().hardState, { term: 5, vote: 3, commit: 0 });
  t.is(storage.recovery.votingDisabledUntilIndex, 3);
  t.true(storage.recovery.reasons.includes('log-behind-acknowledged'));
});

test('the entry cache stays within its bound once flushes have written what was staged', async (t) => {
  const dir = temporaryDirectory(t);
  const cacheBytes = 20_000;
  const wal = await RaftWal.open({ dir, cacheBytes });
  t.teardown(() => wal.close());
  const next = new Map<number, number>();
  for (let round = 0; round < 30; round++) {
    for (let group = 0; group < 10; group++) {
      const first = next.get(group) ?? 1;
      wal.group(group).stage({ entries: makeEntries(first, 5, 1, 200) });
      next.set(group, first + 5);
    }
    await wal.sync();
    t.true(
      wal.stats().cacheBytes <= cacheBytes,
      `round ${round}: ${wal.stats().cacheBytes} bytes cached`,
    );
  }
  // Everything is still readable, from disk where it is no longer cached.
  for (let group = 0; group < 10; group++) {
    t.deepEqual(plain(wal.group(group).entries(1, 151, 1e9)), plain(makeEntries(1, 150, 1, 200)));
  }
});

test('the groups pinning the oldest segment are named, and compacting them frees it', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir, segmentBytes: 4096 });
  t.teardown(() => wal.close());
  wal.group(1).stage({ entries: makeEntries(1, 2, 1, 100) });
  for (let round = 0; round < 20; round++) {
    wal.group(2).stage({ entries: makeEntries(round * 10 + 1, 10, 1, 100) });
    await wal.sync();
    if (round > 0) wal.group(2).compact(round * 10);
  }
  await wal.sync();
  t.deepEqual(wal.groupsPinningOldestSegment(), [1]);
  const before = wal.stats().segments;
  wal.group(1).compact(2);
  wal.group(2).stage({ entries: makeEntries(201, 1, 1, 100) });
  await wal.sync();
  await wal.sync();
  wal.group(2).stage({ entries: makeEntries(202, 1, 1, 100) });
  await wal.sync();
  t.true(wal.stats().segments < before, `${before} -> ${wal.stats().segments} segments`);
});

/** Polls until `condition` holds; the WAL's own follow-up flush and cleanup run meanwhile. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('an idle WAL lets go of segments kept only by state records, without waiting for a roll', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir, segmentBytes: 4096 });
  t.teardown(() => wal.close());
  // Group 1 writes its state once, into the first segment, and then stays idle.
  wal.group(1).stage({
    config: { voters: [1], outgoingVoters: [], learners: [] },
    entries: makeEntries(1, 1, 1, 10),
    hardState: { term: 1, vote: 1, commit: 1 },
  });
  // Group 2 fills segments with entries (and a hard state per flush).
  for (let round = 0; round < 20; round++) {
    wal.group(2).stage({
      entries: makeEntries(round * 10 + 1, 10, 1, 100),
      hardState: { term: 1, vote: 1, commit: round * 10 + 10 },
    });
    await wal.sync();
  }
  t.true(wal.stats().segments >= 5, `${wal.stats().segments} segments`);
  // Both groups compact everything; then nothing more is written, no segment rolls.
  for (const [group, index] of [
    [1, 1],
    [2, 200],
  ] as const) {
    const config = { voters: [1], outgoingVoters: [], learners: [] };
    wal
      .group(group)
      .saveSnapshot({ metadata: { index, term: 1, config }, data: new Uint8Array(1) });
    wal.group(group).compact(index);
  }
  await wal.sync();
  // No entry is left, only state records (hard states, configs) in old segments: they are
  // written again by the WAL itself, and every segment but the active one goes.
  await eventually(() => wal.stats().segments === 1, 'every old segment deleted');
  t.deepEqual(wal.groupsPinningOldestSegment().sort(), [1, 2]);
  await wal.close();
  const reopened = await RaftWal.open({ dir, segmentBytes: 4096 });
  t.teardown(() => reopened.close());
  t.deepEqual(reopened.group(1).initialState(), {
    hardState: { term: 1, vote: 1, commit: 1 },
    config: { voters: [1], outgoingVoters: [], learners: [] },
  });
  t.deepEqual(reopened.group(2).initialState().hardState, { term: 1, vote: 1, commit: 200 });
  t.is(reopened.group(2).firstIndex(), 201);
  t.is(reopened.group(1).snapshot()?.metadata.index, 1);
});

test('an I/O error stops the WAL for good with a typed error', async (t) => {
  const dir = temporaryDirectory(t);
  const { nodeWalFileSystem } = await import('../../src/durable/file-system.ts');
  let failWrites = false;
  const failing = {
    ...nodeWalFileSystem,
    async open(path: string, options: { create: boolean }) {
      const file = await nodeWalFileSystem.open(path, options);
      return {
        ...file,
        path: file.path,
        readSync: file.readSync.bind(file),
        size: file.size.bind(file),
        close: file.close.bind(file),
        truncate: file.truncate.bind(file),
        datasync: file.datasync.bind(file),
        write: async (data: Uint8Array, position: number) => {
          if (failWrites) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
          return file.write(data, position);
        },
      };
    },
  };
  const wal = await RaftWal.open({ dir, fileSystem: failing });
  wal.group(1).stage({ entries: makeEntries(1, 1, 1) });
  await wal.sync();
  failWrites = true;
  wal.group(1).stage({ entries: makeEntries(2, 1, 1) });
  const error = await t.throwsAsync(wal.sync());
  t.is((error as { code?: string }).code, 'IO');
  await t.throwsAsync(wal.sync(), { message: /EIO/ });
  t.throws(() => wal.group(1).stage({ entries: makeEntries(3, 1, 1) }), { message: /EIO/ });
  await wal.close();
});

// Regression: the host counted entries as released when it asked, although those still
// being written stayed cached; an idle group kept its last entries cached for good.
test('releasing cached entries still being written releases only those on disk, and says so', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  const storage = wal.group(1);
  storage.stage({ entries: makeEntries(1, 10, 1, 100) });
  await wal.sync();
  storage.stage({ entries: makeEntries(11, 10, 1, 100) });
  // Entries 11–20 are staged, not yet written: only 1–10 can leave the cache.
  t.is(storage.releaseCachedThrough(20), 10);
  t.true(wal.stats().cacheBytes > 0, 'the unwritten entries stay cached');
  await wal.sync();
  t.is(storage.releaseCachedThrough(20), 20);
  t.is(wal.stats().cacheBytes, 0);
  t.deepEqual(plain(storage.entries(1, 21, 1e9)), plain(makeEntries(1, 20, 1, 100)));
});

// Regression (found by test/host/power-loss.test.ts): when an old segment is left holding
// only state records, they are logged again into the active segment, the group's base among
// them. Group A's base (10) was relogged into segment 3 after A's entries 11..20 in segment
// 2; once A compacted past them, segment 2 went, and replay met the relogged base 10, then
// A's entries at 21, and fenced A for a gap ("entries at 21 leave a gap after 10"), though
// the compaction that had freed 11..20 came later in the same segment.
test('a base relogged after later entries, then compacted past them, survives a restart', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir, segmentBytes: 4096 });
  const config = { voters: [1], outgoingVoters: [], learners: [] };
  const a = wal.group(4);
  const b = wal.group(5);
  const next = new Map([
    [a, 1],
    [b, 1],
  ]);
  const append = async (storage: typeof a, count: number) => {
    const first = next.get(storage)!;
    storage.stage({
      entries: makeEntries(first, count, 1, 50),
      hardState: { term: 1, vote: 1, commit: first + count - 1 },
    });
    next.set(storage, first + count);
    await wal.sync();
  };
  const compact = (storage: typeof a) => {
    const index = next.get(storage)! - 1;
    storage.saveSnapshot({ metadata: { index, term: 1, config }, data: new Uint8Array([index]) });
    storage.compact(index);
  };
  const fillUntilSegments = async (count: number) => {
    while (wal.stats().segments < count) await append(b, 5);
  };
  // Segment 1: A's entries 1..10 and its base at 10; B's entries keep the segment alive.
  await append(a, 10);
  compact(a);
  await fillUntilSegments(2);
  // Segment 2: A's entries 11..20.
  await append(a, 10);
  await fillUntilSegments(3);
  // B lets go of segments 1 and 2: segment 1 now holds only state, A's base among it, which
  // is relogged into segment 3, after A's entries 11..20 in segment 2.
  compact(b);
  await append(b, 1);
  await wal.sync();
  await append(a, 5);
  // A compacts past 11..20: segment 2 is freed too.
  compact(a);
  await append(a, 5);
  await wal.sync();
  await wal.sync();
  t.is(wal.stats().segments, 1, 'only the active segment is left');
  await wal.close();

  const reopened = await RaftWal.open({ dir, segmentBytes: 4096 });
  t.teardown(() => reopened.close());
  const again = reopened.group(4);
  t.is(again.fault, undefined, `not fenced: ${again.fault?.message}`);
  t.is(again.firstIndex(), 26);
  t.is(again.lastIndex(), 30);
  t.is(again.snapshot()?.metadata.index, 25);
  t.deepEqual(plain(again.entries(26, 31, 1e9)), plain(makeEntries(26, 5, 1, 50)));
});
