import test from 'ava';
import {
  Serdes,
  SessionWindows,
  SlidingWindows,
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

function label(w: Windowed<string>): string {
  return `${w.key}@${w.window.start}-${w.window.end}`;
}

function windowedCounts(
  windows: TimeWindows | SlidingWindows,
  inputs: [string, number][],
  suppress = false,
) {
  const builder = new StreamsBuilder();
  let table = builder
    .stream<string, string>('in', { keySerde: s, valueSerde: s })
    .groupByKey()
    .windowedBy(windows)
    .count({ storeName: 'counts' });
  if (suppress) table = table.suppress(Suppressed.untilWindowCloses());
  table.toStream().to('out', { keySerde: ws, valueSerde: n });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('in', s, s);
  for (const [key, ts] of inputs) input.pipeInput(key, 'v', ts);
  const out = driver.createOutputTopic('out', ws, n).readRecordsToList();
  return { driver, out: out.map((r) => `${label(r.key as Windowed<string>)}=${r.value}`) };
}

test('tumbling windows: boundaries are half-open [start, start + size)', (t) => {
  const { out } = windowedCounts(TimeWindows.ofSize(10).grace(100), [
    ['a', 0],
    ['a', 9],
    ['a', 10],
    ['a', 19],
    ['a', 20],
  ]);
  t.deepEqual(out, ['a@0-10=1', 'a@0-10=2', 'a@10-20=1', 'a@10-20=2', 'a@20-30=1']);
});

test('hopping windows: a record counts in every window holding it', (t) => {
  const { out } = windowedCounts(TimeWindows.ofSize(10).advanceBy(5).grace(100), [['a', 7]]);
  t.deepEqual(out, ['a@0-10=1', 'a@5-15=1']);
});

test('late records: within grace they count, past it they are dropped', (t) => {
  const windows = TimeWindows.ofSize(10).grace(5);
  // stream time 14: window [0,10) closes at 10 + 5 = 15, so a record at 3 still counts;
  // stream time 15: it has closed, a record at 4 is dropped.
  const { out, driver } = windowedCounts(windows, [
    ['a', 1],
    ['a', 14],
    ['a', 3],
    ['a', 15],
    ['a', 4],
  ]);
  t.deepEqual(out, ['a@0-10=1', 'a@10-20=1', 'a@0-10=2', 'a@10-20=2']);
  t.is(driver.dropped.length, 1);
  t.regex(driver.dropped[0]?.reason ?? '', /late/);
});

test('suppress(untilWindowCloses) emits one final result per window, once closed', (t) => {
  const windows = TimeWindows.ofSize(10).grace(5);
  const { out } = windowedCounts(
    windows,
    [
      ['a', 1],
      ['b', 2],
      ['a', 8],
      ['a', 12],
      ['a', 3],
      ['b', 24],
      ['a', 40],
    ],
    true,
  );
  // [0,10) closes when stream time reaches 15 (at the record of time 24); [10,20) at 25, [20,30) at 35.
  t.deepEqual(out, ['a@0-10=3', 'b@0-10=1', 'a@10-20=1', 'b@20-30=1']);
});

test('sliding windows: one window per distinct set of records within the difference', (t) => {
  const { driver } = windowedCounts(SlidingWindows.ofTimeDifference(10).grace(100), [
    ['a', 5],
    ['a', 12],
    ['a', 30],
  ]);
  const windows = driver
    .getWindowStore<string, number>('counts')
    .all()
    .map((e) => `${e.key.window.start}-${e.key.window.end}=${e.value}`);
  // left windows [-5,5], [2,12], [20,30]; right windows [6,16] (holds 12) and [13,23] (empty: not a window).
  t.deepEqual(windows, ['-5-5=1', '2-12=2', '6-16=1', '20-30=1']);
});

test('session windows merge records within the gap and forward merged-away sessions as deletions', (t) => {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('in', { keySerde: s, valueSerde: s })
    .groupByKey()
    .windowedBy(SessionWindows.withInactivityGap(5).grace(100))
    .count({ storeName: 'sessions' })
    .toStream()
    .to('out', { keySerde: ws, valueSerde: n });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('in', s, s);
  input.pipeInput('u', 'click', 0);
  input.pipeInput('u', 'click', 20);
  input.pipeInput('u', 'click', 10); // 10 is more than 5 from both: a third session
  input.pipeInput('u', 'click', 15); // bridges [10,10] and [20,20]
  const out = driver
    .createOutputTopic('out', ws, n)
    .readRecordsToList()
    .map((r) => `${label(r.key as Windowed<string>)}=${r.value}`);
  t.deepEqual(out, [
    'u@0-0=1',
    'u@20-20=1',
    'u@10-10=1',
    'u@10-10=null',
    'u@20-20=null',
    'u@10-20=3',
  ]);
  const sessions = driver
    .getWindowStore<string, number>('sessions')
    .all()
    .map((e) => `${e.key.window.start}-${e.key.window.end}=${e.value}`);
  t.deepEqual(sessions, ['0-0=1', '10-20=3']);
});

test('window store interactive queries fetch by key and time range', (t) => {
  const { driver } = windowedCounts(TimeWindows.ofSize(10).grace(1000), [
    ['a', 1],
    ['a', 11],
    ['a', 12],
    ['b', 5],
  ]);
  const store = driver.getWindowStore<string, number>('counts');
  t.is(store.fetch('a', 10), 2);
  t.deepEqual(
    store.fetchRange('a', 0, 10).map((w) => [w.window.start, w.value]),
    [
      [0, 1],
      [10, 2],
    ],
  );
  t.deepEqual(
    store.fetchRange('b', 0, 100).map((w) => w.value),
    [1],
  );
  t.is(store.fetch('c', 0), undefined);
});
