import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import {
  dropUnsyncedTail,
  flipRandomBits,
  listDataFiles,
  recordSizes,
  truncateAtRandom,
} from '../src/nemesis/disk-faults.ts';
import { faultKinds, parseFaultKinds } from '../src/nemesis/fault-kinds.ts';
import { linkKey } from '../src/nemesis/network-control.ts';
import { bridge, halves, isolate, oneWay } from '../src/nemesis/partition-shapes.ts';
import { planSchedule } from '../src/nemesis/schedule.ts';
import { Prng } from '../src/prng.ts';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];

test('the PRNG repeats for a seed, differs across seeds, and stays in range', (t) => {
  const draw = (seed: number) =>
    Array.from(
      { length: 20 },
      (
        (p) => () =>
          p.nextUint32()
      )(new Prng(seed)),
    );
  t.deepEqual(draw(42), draw(42));
  t.notDeepEqual(draw(42), draw(43));
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: -50, max: 50 }), fc.nat(100), (seed, min, span) => {
      const prng = new Prng(seed);
      for (let i = 0; i < 50; i++) {
        const v = prng.intBetween(min, min + span);
        if (v < min || v > min + span || !Number.isInteger(v)) return false;
      }
      return true;
    }),
  );
  const counts = [0, 0, 0, 0];
  const prng = new Prng(1);
  for (let i = 0; i < 4000; i++) counts[prng.intBetween(0, 3)]!++;
  for (const c of counts) t.true(c > 850 && c < 1150, `skewed: ${counts}`);
});

test('a schedule is a function of its seed: ordered, non-overlapping, inside the run', (t) => {
  const options = { durationMs: 120_000, kinds: faultKinds };
  t.deepEqual(planSchedule({ ...options, seed: 9 }), planSchedule({ ...options, seed: 9 }));
  t.notDeepEqual(planSchedule({ ...options, seed: 9 }), planSchedule({ ...options, seed: 10 }));
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1000, max: 600_000 }), (seed, durationMs) => {
      const schedule = planSchedule({ seed, durationMs, kinds: ['kill', 'pause'] });
      let end = 0;
      for (const fault of schedule) {
        if (fault.atMs < end || fault.atMs + fault.durationMs >= durationMs) return false;
        end = fault.atMs + fault.durationMs;
      }
      return true;
    }),
  );
  const kinds = new Set(
    planSchedule({ seed: 1, durationMs: 600_000, kinds: faultKinds }).map((f) => f.kind),
  );
  t.is(kinds.size, faultKinds.length, 'a long run draws every kind');
});

test('kinds come in rounds: each round of a schedule is every kind once, shuffled', (t) => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const schedule = planSchedule({ seed, durationMs: 600_000, kinds: faultKinds });
      const rounds = Math.floor(schedule.length / faultKinds.length);
      for (let r = 0; r < rounds; r++) {
        const round = schedule.slice(r * faultKinds.length, (r + 1) * faultKinds.length);
        if (new Set(round.map((f) => f.kind)).size !== faultKinds.length) return false;
      }
      return rounds >= 2;
    }),
    { numRuns: 50 },
  );
  const firstKinds = (seed: number) =>
    planSchedule({ seed, durationMs: 120_000, kinds: faultKinds }).map((f) => f.kind);
  t.notDeepEqual(firstKinds(1), firstKinds(2), 'the order depends on the seed');
});

test('fault names expand groups and reject unknown names', (t) => {
  t.deepEqual(parseFaultKinds(['pause', 'kill-majority']), ['pause', 'kill-majority']);
  t.is(parseFaultKinds(['all']).length, faultKinds.length);
  t.deepEqual(parseFaultKinds(['disk']), ['disk-truncate', 'disk-bitflip', 'disk-lose-unsynced']);
  t.throws(() => parseFaultKinds(['meteor']), { instanceOf: RangeError });
});

test('halves cut every link between a majority and a minority, both ways', (t) => {
  const { links, sides } = halves(nodes, new Prng(3));
  const [majority, minority] = sides as [string[], string[]];
  t.is(majority.length, 3);
  t.is(minority.length, 2);
  t.is(links.length, 2 * 3 * 2);
  const cut = new Set(links.map(linkKey));
  for (const a of majority)
    for (const b of minority) t.true(cut.has(`${a}->${b}`) && cut.has(`${b}->${a}`));
  for (const a of majority) for (const b of majority) t.false(cut.has(`${a}->${b}`));
});

test('isolate, bridge and one-way have the documented shapes', (t) => {
  t.is(isolate(nodes, 'n2').length, 8);
  t.true(isolate(nodes, 'n2').every((l) => l.from === 'n2' || l.to === 'n2'));
  const b = bridge(nodes, new Prng(5));
  t.false(b.links.some((l) => l.from === b.bridgeNode || l.to === b.bridgeNode));
  t.is(b.links.length, 2 * 2 * 2);
  t.deepEqual(oneWay(['a', 'b', 'c'], 'a', 'outbound').map(linkKey), ['a->b', 'a->c']);
  t.deepEqual(oneWay(['a', 'b', 'c'], 'a', 'inbound').map(linkKey), ['b->a', 'c->a']);
});

function dataDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'jepsen-disk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'p0'));
  writeFileSync(join(dir, 'p0', '00000000.log'), Buffer.alloc(4096, 0xaa));
  writeFileSync(join(dir, 'raft.log'), Buffer.alloc(1000, 0x55));
  return dir;
}

test('truncation cuts a data file at a random point below its size', (t) => {
  const dir = dataDir(t);
  const file = join(dir, 'raft.log');
  const effect = truncateAtRandom(dir, file, new Prng(1));
  t.true(effect.sizeAfter < 1000);
  t.is(statSync(file).size, effect.sizeAfter);
  t.throws(() => truncateAtRandom(dir, join(dir, '..', 'elsewhere'), new Prng(1)), {
    message: /outside/,
  });
});

test('bit flips change exactly the reported bits', (t) => {
  const dir = dataDir(t);
  const file = join(dir, 'p0', '00000000.log');
  const before = readFileSync(file);
  const effect = flipRandomBits(dir, file, new Prng(11), 8);
  const expected = Buffer.from(before);
  for (const { byte, bit } of effect.flips) expected[byte] = expected[byte]! ^ (1 << bit);
  t.deepEqual(readFileSync(file), expected);
  t.notDeepEqual(readFileSync(file), before);
});

test('dropping the unsynced tail rolls files back to their recorded sizes', (t) => {
  const dir = dataDir(t);
  const recorded = recordSizes(dir);
  writeFileSync(join(dir, 'raft.log'), Buffer.alloc(500, 1), { flag: 'a' });
  writeFileSync(join(dir, 'p0', '00000100.log'), Buffer.alloc(300, 2));
  writeFileSync(join(dir, 'p0', '00000200.log'), Buffer.alloc(300, 3));
  const effect = dropUnsyncedTail(dir, recorded, new Prng(2));
  t.is(statSync(join(dir, 'raft.log')).size, 1000);
  t.is(statSync(join(dir, 'p0', '00000000.log')).size, 4096);
  t.deepEqual(
    effect.truncated.map((e) => e.to),
    [1000],
  );
  t.is(effect.removed.length + effect.emptied.length, 2);
  for (const f of listDataFiles(dir)) t.is(statSync(f).size, recorded.get(f) ?? 0);
});

test('disk faults pick among the files the node reads, not the data it set aside', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'disk-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'partitions', 'p-0.3'), { recursive: true });
  mkdirSync(join(dir, 'damaged', 'p-0.3-2026'), { recursive: true });
  mkdirSync(join(dir, 'partitions', 'damaged'), { recursive: true });
  writeFileSync(join(dir, 'partitions', 'p-0.3', 'checkpoint'), 'live');
  writeFileSync(join(dir, 'damaged', 'p-0.3-2026', 'checkpoint'), 'set aside');
  writeFileSync(join(dir, 'partitions', 'damaged', 'x'), 'a topic may be called that');
  t.deepEqual(
    listDataFiles(dir).map((f) => f.slice(dir.length + 1)),
    ['partitions/damaged/x', 'partitions/p-0.3/checkpoint'],
  );
});
