import { initChecksums } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import type { LogConfig } from '../src/index.ts';
import { KeyMap } from '../src/internal.ts';
import { batchOf, decodeBatches, readAll, type SimpleRecord, simEnvironment } from './helpers.ts';

const compactConfig: Partial<LogConfig> = {
  segmentBytes: 2048,
  indexIntervalBytes: 128,
  maxBatchBytes: 1024,
  cleanupPolicy: 'compact',
  deleteRetentionMs: 10_000,
  compactionKeysMax: 4096,
};

/** Appends `rounds` rounds of one value for each key, one batch per round, then rolls. */
async function keyedLog(rounds: number, keys: number, config = compactConfig) {
  const env = simEnvironment(5, config);
  const log = await env.open();
  for (let round = 0; round < rounds; round++) {
    const records: SimpleRecord[] = Array.from({ length: keys }, (_, k) => ({
      key: `key-${k}`,
      value: `round-${round}`,
      timestamp: env.clock.nowMs(),
    }));
    await log.append(batchOf(records));
  }
  await log.roll();
  return { env, log };
}

test('compaction keeps the latest record of each key in closed segments, offsets unchanged', async (t) => {
  const { log } = await keyedLog(30, 5);
  const before = await readAll(log);
  const result = await log.compact();
  t.true(result.segmentsCleaned > 0);
  const after = await readAll(log);
  t.deepEqual(
    after.map((r) => [r.offset, r.key, r.value]),
    [0, 1, 2, 3, 4].map((k) => [29 * 5 + k, `key-${k}`, 'round-29']),
  );
  for (const record of after)
    t.deepEqual(
      record,
      before.find((b) => b.offset === record.offset),
    );
  t.is(result.recordsRemoved, before.length - after.length);
  t.true(log.sizeBytes < result.bytesBefore);
  t.is(log.logStartOffset, 0);
  t.is(log.logEndOffset, 150);
  await log.close();
});

test('the active segment is never compacted', async (t) => {
  const env = simEnvironment(5, compactConfig);
  const log = await env.open();
  for (let round = 0; round < 3; round++) {
    await log.append(batchOf([{ key: 'a', value: `v${round}`, timestamp: 0 }]));
  }
  const result = await log.compact();
  t.is(result.segmentsCleaned, 0);
  t.is((await readAll(log)).length, 3);
  await log.close();
});

test('tombstones stay for deleteRetentionMs, then go, taking older values with them', async (t) => {
  const env = simEnvironment(5, compactConfig);
  const log = await env.open();
  await log.append(
    batchOf([
      { key: 'a', value: 'one', timestamp: env.clock.nowMs() },
      { key: 'b', value: 'two', timestamp: env.clock.nowMs() },
    ]),
  );
  await log.append(batchOf([{ key: 'a', value: null, timestamp: env.clock.nowMs() }]));
  await log.roll();
  await log.compact();
  t.deepEqual(
    (await readAll(log)).map((r) => [r.offset, r.key, r.value]),
    [
      [1, 'b', 'two'],
      [2, 'a', null],
    ],
    'the tombstone hides the value and is kept',
  );
  env.clock.advance(9_999);
  await log.compact();
  t.is((await readAll(log)).length, 2, 'not yet expired');
  env.clock.advance(1);
  await log.compact();
  t.deepEqual(
    (await readAll(log)).map((r) => [r.offset, r.key, r.value]),
    [[1, 'b', 'two']],
  );
  t.is(log.logEndOffset, 3, 'offsets are not given back');
  await log.append(batchOf([{ key: 'c', value: 'x', timestamp: 0 }]));
  t.deepEqual(
    (await readAll(log)).map((r) => r.offset),
    [1, 3],
  );
  await log.close();
});

test('compact,delete also applies retention; compact alone does not', async (t) => {
  for (const [policy, expectDeleted] of [
    ['compact,delete', true],
    ['compact', false],
  ] as const) {
    const { env, log } = await keyedLog(20, 3, {
      ...compactConfig,
      cleanupPolicy: policy,
      retentionMs: 1000,
    });
    env.clock.advance(5000);
    const result = await log.applyRetention();
    t.is(result.segmentsDeleted > 0, expectDeleted, policy);
    await log.close();
  }
});

test('a bounded key map cleans in several passes, each making progress', async (t) => {
  const config = { ...compactConfig, compactionKeysMax: 160, segmentBytes: 4096 };
  const env = simEnvironment(5, config);
  const log = await env.open();
  // 600 distinct keys, each written twice, far apart.
  for (let pass = 0; pass < 2; pass++) {
    for (let batch = 0; batch < 60; batch++) {
      const records = Array.from({ length: 10 }, (_, i) => ({
        key: `key-${batch * 10 + i}`,
        value: `pass-${pass}`,
        timestamp: 0,
      }));
      await log.append(batchOf(records));
    }
  }
  await log.roll();
  const cleanedUpTo: number[] = [];
  for (let pass = 0; pass < 12; pass++) cleanedUpTo.push((await log.compact()).cleanedUpTo);
  t.true(cleanedUpTo[0]! < cleanedUpTo[1]!, `progress: ${cleanedUpTo}`);
  t.is(cleanedUpTo[cleanedUpTo.length - 1], 1200);
  const after = await readAll(log);
  t.is(after.length, 600);
  t.true(after.every((r) => r.value === 'pass-1'));
  await log.close();
});

test('compaction yields: appends and reads complete while a pass is parked', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let parked = 0;
  const env = simEnvironment(5, compactConfig);
  const compactionYield = async () => {
    parked += 1;
    await gate;
  };
  const log = await env.open({ compactionYield });
  for (let round = 0; round < 20; round++) {
    await log.append(
      batchOf([
        { key: 'a', value: `v${round}`, timestamp: 0 },
        { key: 'b', value: `w${round}`, timestamp: 0 },
      ]),
    );
  }
  await log.roll();
  let finished = false;
  const pass = log.compact().then((result) => {
    finished = true;
    return result;
  });
  while (parked === 0) await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 10; i++)
    await log.append(batchOf([{ key: 'c', value: `x${i}`, timestamp: 0 }]));
  t.is((await readAll(log)).length, 50);
  await log.flush();
  t.false(finished, 'the compaction is still parked');
  release();
  const result = await pass;
  t.true(result.recordsRemoved > 0);
  t.is((await readAll(log)).length, 2 + 10);
  await log.close();
});

test('closing the log stops a running compaction without leaving files behind', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const env = simEnvironment(5, compactConfig);
  let parked = false;
  const log = await env.open({
    compactionYield: async () => {
      parked = true;
      await gate;
    },
  });
  for (let round = 0; round < 20; round++)
    await log.append(batchOf([{ key: 'a', value: `v${round}`, timestamp: 0 }]));
  await log.roll();
  const pass = log.compact();
  while (!parked) await new Promise((resolve) => setImmediate(resolve));
  const closing = log.close();
  release();
  t.true((await pass).aborted);
  await closing;
  const names = await env.fs.list('/data/partition-0');
  t.false(
    names.some((name) => name.endsWith('.cleaned') || name.endsWith('.swap')),
    names.join(' '),
  );
  const reopened = await env.open();
  t.is((await readAll(reopened)).length, 20);
  await reopened.close();
});

test('a crash at every step of a compaction leaves a log recovery completes or rolls back', async (t) => {
  let sawSwap = false;
  let sawCleaned = false;
  for (let step = 1; step <= 60; step++) {
    const { env, log } = await keyedLog(30, 4);
    await log.flush();
    env.fs.armCrash(step);
    const outcome = await log.compact().then(
      () => 'finished',
      () => 'crashed',
    );
    env.fs.disarmCrash();
    env.fs.crash();
    const reopened = await env.open();
    sawSwap ||= reopened.recovery.swapsCompleted > 0;
    sawCleaned ||= reopened.recovery.leftoverFilesRemoved > 0;
    const records = await readAll(reopened);
    // Whatever happened, the latest value of every key is there and nothing is duplicated
    // out of order; the log's offsets are unchanged.
    for (let k = 0; k < 4; k++) {
      const latest = records.filter((r) => r.key === `key-${k}`).at(-1);
      t.deepEqual(
        latest,
        { offset: 29 * 4 + k, key: `key-${k}`, value: 'round-29', timestamp: latest!.timestamp },
        `step ${step} (${outcome})`,
      );
    }
    t.is(reopened.logEndOffset, 120);
    const again = await reopened.compact();
    t.false(again.aborted);
    t.is((await readAll(reopened)).length, 4, `step ${step}: a later pass finishes the job`);
    await reopened.close();
    if (outcome === 'finished') break;
  }
  t.true(sawSwap, 'some crash fell between the commit rename and the swap');
  t.true(sawCleaned, 'some crash left a .cleaned file to roll back');
});

test('the key map is bounded and keeps the latest offset per key', async (t) => {
  await initChecksums();
  const map = new KeyMap(3);
  const key = (s: string) => new TextEncoder().encode(s);
  t.true(map.put(key('a'), 1));
  t.true(map.put(key('b'), 2));
  t.true(map.put(key('a'), 5));
  t.true(map.put(key('c'), 6));
  t.false(map.put(key('d'), 7), 'full: a fourth key is refused');
  t.true(map.put(key('c'), 8), 'known keys still update');
  t.is(map.get(key('a')), 5);
  t.is(map.get(key('c')), 8);
  t.is(map.get(key('d')), -1);
  t.is(map.size, 3);
  t.is(map.memoryBytes, 8 * 24);
  t.throws(() => map.put(key('a'), 4), { message: /offsets go forward/ });
});

test('the key map starts small, grows as keys arrive and keeps every key through growth', async (t) => {
  await initChecksums();
  const keysMax = 256 * 1024;
  t.true(new KeyMap(keysMax).memoryBytes <= 2048 * 24, 'a new map holds no table for keysMax');
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 1, max: 64 }),
      fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 300 }),
      (max, initial, keyIds) => {
        const map = new KeyMap(max, Math.min(initial, max));
        const model = new Map<number, number>();
        const keyOf = (id: number) => new TextEncoder().encode(`key-${id}`);
        for (const [offset, id] of keyIds.entries()) {
          const fits = model.has(id) || model.size < max;
          if (map.put(keyOf(id), offset) !== fits) return false;
          if (fits) model.set(id, offset);
        }
        if (map.size !== model.size) return false;
        for (let id = 0; id < 100; id++) {
          if (map.get(keyOf(id)) !== (model.get(id) ?? -1)) return false;
        }
        return map.memoryBytes <= nextPowerOfTwoAtLeast(2 * max) * 24;
      },
    ),
  );
});

function nextPowerOfTwoAtLeast(value: number): number {
  return 2 ** Math.ceil(Math.log2(value));
}

test('reads progress over segments compaction emptied', async (t) => {
  const env = simEnvironment(5, { ...compactConfig, deleteRetentionMs: 0 });
  const log = await env.open();
  await log.append(batchOf([{ key: 'a', value: 'x', timestamp: 0 }]));
  await log.roll();
  await log.append(batchOf([{ key: 'a', value: null, timestamp: 0 }]));
  await log.roll();
  await log.append(batchOf([{ key: 'b', value: 'y', timestamp: 0 }]));
  await log.compact();
  t.is(log.segmentInfo()[0]!.sizeBytes, 0, 'the first segment is empty now');
  const first = await log.read(0, 1000);
  t.deepEqual(
    decodeBatches(first.batches).map((r) => r.offset),
    [2],
  );
  t.is(first.nextOffset, 3);
  t.deepEqual(await log.offsetForTimestamp(0), { offset: 2, timestamp: 0 });
  await log.close();
});

test('segments rolled while a pass runs are mapped by the next pass, not skipped', async (t) => {
  let release: () => void = () => {};
  let gate: Promise<void> | null = new Promise<void>((resolve) => {
    release = resolve;
  });
  let parked = false;
  const env = simEnvironment(5, compactConfig);
  const log = await env.open({
    compactionYield: async () => {
      parked = true;
      await gate;
    },
  });
  for (let round = 0; round < 10; round++) {
    await log.append(batchOf([{ key: 'a', value: `v${round}`, timestamp: 0 }]));
  }
  await log.roll();
  const first = log.compact();
  while (!parked) await new Promise((resolve) => setImmediate(resolve));
  for (let round = 10; round < 20; round++) {
    await log.append(batchOf([{ key: 'a', value: `v${round}`, timestamp: 0 }]));
    await log.roll();
  }
  await log.append(batchOf([{ key: 'b', value: 'active', timestamp: 0 }]));
  gate = null;
  release();
  t.is((await first).cleanedUpTo, 10, 'the first pass stops where the sealed segments ended');
  await log.compact();
  t.deepEqual(
    (await readAll(log)).map((r) => [r.offset, r.key, r.value]),
    [
      [19, 'a', 'v19'],
      [20, 'b', 'active'],
    ],
  );
  await log.close();
});
