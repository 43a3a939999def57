/**
 * Crash property: an application crashed at random points (between records, or in the
 * middle of a commit with torn changelog writes) and restarted, any number of times, ends
 * with exactly the state of a run without crashes, and its outputs, once copies are dropped
 * by their `tributary.origin` header, are exactly the crash-free outputs. Covers repartition
 * deduplication, changelog undo of unfinished commits, windowed state with grace and
 * suppress, and a table re-grouping (subtract/add through a repartition topic).
 */
import { deepStrictEqual } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { readOrigin } from '../src/engine/origin.ts';
import {
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  TopologyTestDriver,
  windowedSerde,
} from '../src/index.ts';
import { prng, SimCluster, SimInstance, type SimRecord } from './helpers/crash-sim.ts';

const s = Serdes.string();
const n = Serdes.number();
const ws = windowedSerde(s);
const words = ['a', 'b', 'c', 'd'];

function topology() {
  const builder = new StreamsBuilder();
  const lines = builder.stream<string | null, string>('lines', { keySerde: s, valueSerde: s });
  const wordStream = lines.flatMapValues((line) => line.split(' ').filter((w) => w.length > 0));
  const grouped = wordStream.groupBy((_k, w) => w, { keySerde: s, valueSerde: s, name: 'words' });
  const counts = grouped.count({ storeName: 'counts' });
  counts.toStream().to('counts-out', { keySerde: s, valueSerde: n });
  grouped
    .windowedBy(TimeWindows.ofSize(10).grace(5))
    .count({ storeName: 'window-counts' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .to('window-final', { keySerde: ws, valueSerde: n });
  // Re-group the counts table by parity of the count: exercises subtract/add repartitioning.
  counts
    .groupBy((_w, c) => ({ key: c % 2 === 0 ? 'even' : 'odd', value: c }), {
      keySerde: s,
      valueSerde: n,
      name: 'parity',
    })
    .count({ storeName: 'parity-counts' });
  return builder.build();
}

const line = fc
  .array(fc.constantFrom(...words), { minLength: 0, maxLength: 4 })
  .map((ws) => ws.join(' '));
const input = fc.record({ line, ts: fc.integer({ min: 0, max: 60 }) });
const action = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('step' as const), task: fc.nat(5) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('commit' as const), task: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      during: fc.option(fc.nat(5), { nil: undefined, freq: 3 }),
    }),
  },
);

/** Outputs of a topic with copies (same origin) removed, as `key=value@timestamp` strings. */
function deduplicated(
  records: readonly SimRecord[],
  keyOf: (b: Uint8Array) => string,
  decodeValue: (b: Uint8Array) => string,
): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const r of records) {
    const origin = readOrigin(r.headers);
    const id = origin
      ? `${origin.topic}/${origin.partition}/${origin.offset}/${origin.sequence}`
      : undefined;
    if (id !== undefined && seen.has(id)) continue;
    if (id !== undefined) seen.add(id);
    result.push(
      `${r.key ? keyOf(r.key) : null}=${r.value ? decodeValue(r.value) : null}@${r.timestamp}`,
    );
  }
  return result;
}

test('crashes and restarts at any point end in the crash-free state and outputs', async (t) => {
  const built = topology();
  const windowKey = (b: Uint8Array) => {
    const w = ws.deserialize(b);
    return `${w.key}@${w.window.start}`;
  };
  const str = (b: Uint8Array) => s.deserialize(b);
  const num = (b: Uint8Array) => String(n.deserialize(b));
  const seen = { runsWithCrash: 0, runsWithUndo: 0, runsWithCopies: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.array(input, { minLength: 3, maxLength: 25 }),
      fc.array(action, { minLength: 20, maxLength: 150 }),
      fc.integer(),
      async (inputs, actions, seed) => {
        // The crash-free run.
        const driver = new TopologyTestDriver(built, { applicationId: 'sim' });
        const lines = driver.createInputTopic('lines', s, s);
        for (const i of inputs) lines.pipeInput(null, i.line, i.ts);
        const expected = {
          counts: deduplicated(driver.rawRecords('counts-out'), str, num),
          final: deduplicated(driver.rawRecords('window-final'), windowKey, num),
          stores: Object.fromEntries(
            ['counts', 'window-counts', 'parity-counts'].map((name) => [
              name,
              storeDump(driver, name),
            ]),
          ),
        };
        driver.close();
        // The crashing run.
        const cluster = new SimCluster();
        for (const i of inputs)
          cluster
            .log('lines')
            .push({ key: null, value: s.serialize(i.line), timestamp: i.ts, headers: [] });
        const instance = new SimInstance(built, cluster, prng(seed));
        await instance.start();
        for (const a of actions) {
          if (a.kind === 'step') instance.step(a.task);
          else if (a.kind === 'commit') instance.commit(a.task);
          else {
            instance.crash(a.during);
            await instance.start();
          }
        }
        // Run to the end; a commit may release held outputs, which makes more work.
        for (let guard = 0; ; guard++) {
          if (guard > 100_000) throw new Error('no progress');
          for (let task = 0; task < built.subtopologies.length; task++) instance.step(task);
          if (instance.hasWork()) continue;
          instance.commitAll();
          if (!instance.hasWork()) break;
        }
        if (instance.restores > 1) seen.runsWithCrash += 1;
        if (instance.undone > 0) seen.runsWithUndo += 1;
        if (
          deduplicated(cluster.log('counts-out'), str, num).length <
          cluster.log('counts-out').length
        )
          seen.runsWithCopies += 1;
        deepStrictEqual(deduplicated(cluster.log('counts-out'), str, num), expected.counts);
        deepStrictEqual(deduplicated(cluster.log('window-final'), windowKey, num), expected.final);
        for (const [name, entries] of Object.entries(expected.stores))
          deepStrictEqual(instance.storeEntries(name), entries, `store ${name}`);
      },
    ),
    { numRuns: 120 },
  );
  // The property is only worth something if crashes, undos and copies actually happened.
  t.log(seen);
  t.true(seen.runsWithCrash > 10);
  t.true(seen.runsWithUndo > 0);
  t.true(seen.runsWithCopies > 0);
});

function storeDump(driver: TopologyTestDriver, name: string): string[] {
  const task = (
    driver as unknown as {
      tasks: { stores: Map<string, { entries(): Iterable<readonly [Uint8Array, Uint8Array]> }> }[];
    }
  ).tasks.find((x) => x.stores.has(name));
  const store = task?.stores.get(name);
  if (!store) throw new Error(`no store ${name}`);
  return [...store.entries()]
    .map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`)
    .sort();
}
