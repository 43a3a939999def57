import test from 'ava';
import { JoinWindows, Serdes, StreamsBuilder, TopologyTestDriver } from '../src/index.ts';

const s = Serdes.string();

function streamJoin(
  kind: 'join' | 'leftJoin' | 'outerJoin',
  windows: JoinWindows,
  feed: ['L' | 'R', string, string, number][],
) {
  const builder = new StreamsBuilder({
    defaultKeySerde: s as never,
    defaultValueSerde: s as never,
  });
  const left = builder.stream<string, string>('left');
  const right = builder.stream<string, string>('right');
  const joiner = (l: string | null, r: string | null) => `${l ?? '-'}+${r ?? '-'}`;
  const joined =
    kind === 'join'
      ? left.join(right, joiner, windows)
      : kind === 'leftJoin'
        ? left.leftJoin(right, joiner, windows)
        : left.outerJoin(right, joiner, windows);
  joined.to('out');
  const driver = new TopologyTestDriver(builder.build());
  const inputs = {
    L: driver.createInputTopic('left', s, s),
    R: driver.createInputTopic('right', s, s),
  };
  for (const [side, key, value, ts] of feed) inputs[side].pipeInput(key, value, ts);
  return driver
    .createOutputTopic('out', s, s)
    .readRecordsToList()
    .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
}

test('stream-stream inner join pairs records of one key within the window, at the later timestamp', (t) => {
  const out = streamJoin('join', JoinWindows.ofTimeDifference(10).grace(100), [
    ['L', 'k', 'a', 0],
    ['R', 'k', 'x', 5],
    ['R', 'k', 'y', 11], // 11 − 0 > 10: no pair with a
    ['L', 'k', 'b', 12], // pairs with x (7 apart) and y (1 apart)
    ['R', 'j', 'z', 12],
  ]);
  t.deepEqual(out, ['k:a+x@5', 'k:b+x@12', 'k:b+y@12']);
});

test('stream-stream join window boundaries are inclusive; before/after make it asymmetric', (t) => {
  const symmetric = streamJoin('join', JoinWindows.ofTimeDifference(5).grace(100), [
    ['L', 'k', 'a', 10],
    ['R', 'k', 'p', 5],
    ['R', 'k', 'q', 15],
    ['R', 'k', 'r', 16],
  ]);
  t.deepEqual(symmetric, ['k:a+p@10', 'k:a+q@15']);
  const afterOnly = streamJoin('join', JoinWindows.ofTimeDifference(0).after(5).grace(100), [
    ['L', 'k', 'a', 10],
    ['R', 'k', 'p', 5],
    ['R', 'k', 'q', 15],
  ]);
  t.deepEqual(afterOnly, ['k:a+q@15']);
});

test('left join emits unmatched left records once their window has closed', (t) => {
  const out = streamJoin('leftJoin', JoinWindows.ofTimeDifference(10), [
    ['L', 'k', 'a', 0],
    ['L', 'j', 'b', 5],
    ['R', 'j', 'x', 8],
    ['R', 'k', 'late-partner', 11], // too far from a
    ['L', 'z', 'tick', 30], // moves stream time past a's window (0 + 10)
  ]);
  t.deepEqual(out, ['j:b+x@8', 'k:a+-@0']);
});

test('outer join also emits unmatched right records', (t) => {
  const out = streamJoin('outerJoin', JoinWindows.ofTimeDifference(3), [
    ['R', 'k', 'x', 0],
    ['L', 'j', 'a', 1],
    ['L', 'z', 'tick', 10],
  ]);
  t.deepEqual(out, ['k:-+x@0', 'j:a+-@1']);
});

test('late records past the join grace are dropped', (t) => {
  const out = streamJoin('join', JoinWindows.ofTimeDifference(5).grace(0), [
    ['L', 'k', 'a', 100],
    ['R', 'k', 'old', 90], // 90 + 5 < 100: its window closed
    ['R', 'k', 'ok', 95],
  ]);
  t.deepEqual(out, ['k:a+ok@100']);
});

test('stream-table join looks up the table; table updates emit nothing; left join keeps misses', (t) => {
  const builder = new StreamsBuilder({
    defaultKeySerde: s as never,
    defaultValueSerde: s as never,
  });
  const orders = builder.stream<string, string>('orders');
  const customers = builder.table<string, string>('customers');
  orders.join(customers, (order, customer) => `${order} for ${customer}`).to('inner');
  orders.leftJoin(customers, (order, customer) => `${order} for ${customer ?? '?'}`).to('left');
  const driver = new TopologyTestDriver(builder.build());
  const orderIn = driver.createInputTopic('orders', s, s);
  const customerIn = driver.createInputTopic('customers', s, s);
  orderIn.pipeInput('c1', 'o1', 1);
  customerIn.pipeInput('c1', 'Ann', 2);
  orderIn.pipeInput('c1', 'o2', 3);
  customerIn.pipeInput('c1', 'Anna', 4);
  orderIn.pipeInput('c1', 'o3', 5);
  customerIn.pipeInput('c1', null, 6);
  orderIn.pipeInput('c1', 'o4', 7);
  t.deepEqual(driver.createOutputTopic('inner', s, s).readValuesToList(), [
    'o2 for Ann',
    'o3 for Anna',
  ]);
  t.deepEqual(driver.createOutputTopic('left', s, s).readValuesToList(), [
    'o1 for ?',
    'o2 for Ann',
    'o3 for Anna',
    'o4 for ?',
  ]);
});

test('table-table joins: inner, left and outer changes', (t) => {
  const builder = new StreamsBuilder({
    defaultKeySerde: s as never,
    defaultValueSerde: s as never,
  });
  const left = builder.table<string, string>('lt');
  const right = builder.table<string, string>('rt');
  const joiner = (l: string | null, r: string | null) => `${l ?? '-'}|${r ?? '-'}`;
  left.join(right, joiner, { storeName: 'inner-store' }).toStream().to('inner');
  left.leftJoin(right, joiner).toStream().to('left');
  left.outerJoin(right, joiner).toStream().to('outer');
  const driver = new TopologyTestDriver(builder.build());
  const l = driver.createInputTopic('lt', s, s);
  const r = driver.createInputTopic('rt', s, s);
  l.pipeInput('k', 'a', 1);
  r.pipeInput('k', 'x', 2);
  l.pipeInput('k', 'b', 3);
  r.pipeInput('k', null, 4);
  l.pipeInput('k', null, 5);
  const read = (topic: string) => driver.createOutputTopic(topic, s, s).readValuesToList();
  t.deepEqual(read('inner'), ['a|x', 'b|x', null]);
  t.deepEqual(read('left'), ['a|-', 'a|x', 'b|x', 'b|-', null]);
  t.deepEqual(read('outer'), ['a|-', 'a|x', 'b|x', 'b|-', null]);
  t.is(driver.getKeyValueStore('inner-store').get('k'), undefined);
});
