/**
 * Differential property test: random input streams through a topology mixing map, filter,
 * groupBy + count, a hopping-window aggregate with grace (late records), suppress, a
 * stream-table join and a count over the join's output, run with the TopologyTestDriver,
 * give the same results as a straightforward computation over the same inputs.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  TopologyTestDriver,
  type Windowed,
  windowedSerde,
} from '../src/index.ts';

const s = Serdes.string();
const n = Serdes.number();
const ws = windowedSerde(s);
const size = 10;
const advance = 5;
const grace = 7;

type Input =
  | { topic: 'events'; key: string; value: number; ts: number }
  | { topic: 'profiles'; key: string; region: string | null };

const users = ['u1', 'u2', 'u3', 'u4'];
const inputArbitrary = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        topic: fc.constant('events' as const),
        key: fc.constantFrom(...users),
        value: fc.integer({ min: 0, max: 20 }),
        ts: fc.integer({ min: 0, max: 80 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        topic: fc.constant('profiles' as const),
        key: fc.constantFrom(...users),
        region: fc.option(fc.constantFrom('eu', 'us', 'asia'), { nil: null }),
      }),
    },
  ),
  { maxLength: 60 },
);

function topology() {
  const builder = new StreamsBuilder({ defaultKeySerde: s as never });
  const events = builder.stream<string, number>('events', { keySerde: s, valueSerde: n });
  const profiles = builder.table<string, string>('profiles', { keySerde: s, valueSerde: s });
  events
    .filter((_k, v) => v % 3 !== 0)
    .map((_k, v) => ({ key: `g${v % 4}`, value: v }))
    .groupByKey({ valueSerde: n })
    .count({ storeName: 'group-counts' });
  const sums = events
    .groupByKey()
    .windowedBy(TimeWindows.ofSize(size).advanceBy(advance).grace(grace))
    .aggregate(
      () => 0,
      (_k, v, agg) => agg + v,
      { storeName: 'window-sums', valueSerde: n },
    );
  sums.toStream().to('window-sums-out', { keySerde: ws, valueSerde: n });
  sums
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .to('window-final', { keySerde: ws, valueSerde: n });
  const enriched = events.join(profiles, (value, region) => `${region}:${value}`);
  enriched.to('enriched', { keySerde: s, valueSerde: s });
  enriched
    .groupBy((_k, joined) => joined.split(':')[0] as string, { keySerde: s, valueSerde: s })
    .count({ storeName: 'region-counts' });
  return builder.build();
}

function windowsOf(ts: number): { start: number; end: number }[] {
  const result = [];
  for (let start = ts - (ts % advance); start > ts - size; start -= advance)
    if (start >= 0) result.push({ start, end: start + size });
  return result.reverse();
}

function reference(inputs: readonly Input[]) {
  const groupCounts = new Map<string, number>();
  const regionCounts = new Map<string, number>();
  const windowSums = new Map<string, number>();
  const enriched: string[] = [];
  const profiles = new Map<string, string>();
  const finals: string[] = [];
  const pendingFinal = new Map<string, { end: number; key: string; start: number }>();
  let streamTime = -1;
  for (const input of inputs) {
    if (input.topic === 'profiles') {
      if (input.region === null) profiles.delete(input.key);
      else profiles.set(input.key, input.region);
      continue;
    }
    const { key, value, ts } = input;
    if (value % 3 !== 0)
      groupCounts.set(`g${value % 4}`, (groupCounts.get(`g${value % 4}`) ?? 0) + 1);
    streamTime = Math.max(streamTime, ts);
    for (const w of windowsOf(ts)) {
      if (streamTime >= w.end + grace) continue;
      const id = `${key}@${w.start}-${w.end}`;
      windowSums.set(id, (windowSums.get(id) ?? 0) + value);
      pendingFinal.set(id, { end: w.end, key, start: w.start });
    }
    const closed = [...pendingFinal.entries()].filter(([, w]) => w.end + grace <= streamTime);
    closed.sort(
      ([, a], [, b]) =>
        a.end - b.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start),
    );
    for (const [id] of closed) {
      finals.push(`${id}=${windowSums.get(id)}`);
      pendingFinal.delete(id);
    }
    const region = profiles.get(key);
    if (region !== undefined) {
      enriched.push(`${key}:${region}:${value}`);
      regionCounts.set(region, (regionCounts.get(region) ?? 0) + 1);
    }
  }
  return { groupCounts, regionCounts, windowSums, enriched, finals };
}

const label = (w: Windowed<string>) => `${w.key}@${w.window.start}-${w.window.end}`;

test('random inputs give the same results as the reference computation', (t) => {
  const built = topology();
  fc.assert(
    fc.property(inputArbitrary, (inputs) => {
      const driver = new TopologyTestDriver(built);
      const events = driver.createInputTopic('events', s, n);
      const profiles = driver.createInputTopic('profiles', s, s);
      for (const input of inputs) {
        if (input.topic === 'events') events.pipeInput(input.key, input.value, input.ts);
        else profiles.pipeInput(input.key, input.region, 0);
      }
      const expected = reference(inputs);
      const store = (name: string) =>
        new Map(
          driver
            .getKeyValueStore<string, number>(name)
            .all()
            .map((e) => [e.key, e.value]),
        );
      const sums = new Map(
        [...driver.createOutputTopic('window-sums-out', ws, n).readKeyValuesToMap()].map(
          ([k, v]) => [label(k), v],
        ),
      );
      const finals = driver
        .createOutputTopic('window-final', ws, n)
        .readRecordsToList()
        .map((r) => `${label(r.key as Windowed<string>)}=${r.value}`);
      const enriched = driver
        .createOutputTopic('enriched', s, s)
        .readKeyValuesToList()
        .map((r) => `${r.key}:${r.value}`);
      driver.close();
      return (
        same(store('group-counts'), expected.groupCounts) &&
        same(store('region-counts'), expected.regionCounts) &&
        same(sums, expected.windowSums) &&
        JSON.stringify(finals) === JSON.stringify(expected.finals) &&
        JSON.stringify(enriched) === JSON.stringify(expected.enriched)
      );
    }),
    { numRuns: 150 },
  );
  t.pass();
});

function same<K, V>(a: Map<K, V>, b: Map<K, V>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
