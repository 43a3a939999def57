import test from 'ava';
import { CoPartitioningError, Serdes, StreamsBuilder, TopologyTestDriver } from '../src/index.ts';

const s = Serdes.string();
const n = Serdes.number();

test('a table keeps the latest value per key; a null value deletes; toStream shows changes', (t) => {
  const builder = new StreamsBuilder();
  builder
    .table<string, string>('users', { keySerde: s, valueSerde: s }, { storeName: 'users-store' })
    .toStream()
    .to('changes', { keySerde: s, valueSerde: s });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('users', s, s);
  input.pipeInput('u1', 'ann', 1);
  input.pipeInput('u2', 'bob', 2);
  input.pipeInput('u1', 'anna', 3);
  input.pipeInput('u2', null, 4);
  input.pipeInput(null, 'keyless', 5);
  const store = driver.getKeyValueStore<string, string>('users-store');
  t.is(store.get('u1'), 'anna');
  t.is(store.get('u2'), undefined);
  t.deepEqual(store.all(), [{ key: 'u1', value: 'anna' }]);
  const changes = driver.createOutputTopic('changes', s, s).readKeyValuesToList();
  t.deepEqual(changes, [
    { key: 'u1', value: 'ann' },
    { key: 'u2', value: 'bob' },
    { key: 'u1', value: 'anna' },
    { key: 'u2', value: null },
  ]);
});

test('table filter and mapValues forward changes and can be looked up', (t) => {
  const builder = new StreamsBuilder({ defaultKeySerde: s as never });
  const prices = builder.table<string, number>('prices', { keySerde: s, valueSerde: n });
  const expensive = prices
    .filter((_k, v) => v >= 100)
    .mapValues((v) => `$${v}`, { storeName: 'expensive', valueSerde: s });
  expensive.toStream().to('expensive-changes', { keySerde: s, valueSerde: s });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('prices', s, n);
  input.pipeInput('a', 50, 1);
  input.pipeInput('b', 150, 2);
  input.pipeInput('a', 120, 3);
  input.pipeInput('b', 10, 4);
  t.deepEqual(driver.createOutputTopic('expensive-changes', s, s).readKeyValuesToList(), [
    { key: 'b', value: '$150' },
    { key: 'a', value: '$120' },
    { key: 'b', value: null },
  ]);
  t.deepEqual(driver.getKeyValueStore('expensive').all(), [{ key: 'a', value: '$120' }]);
});

test('stream aggregations: count, reduce, aggregate skip null keys and values', (t) => {
  const builder = new StreamsBuilder();
  const stream = builder.stream<string, number>('in', { keySerde: s, valueSerde: n });
  const grouped = stream.groupByKey();
  grouped.count({ storeName: 'count' });
  grouped.reduce((a, b) => a + b, { storeName: 'sum' });
  grouped.aggregate(
    () => ({ min: Infinity, max: -Infinity }),
    (_k, v, agg) => ({ min: Math.min(agg.min, v), max: Math.max(agg.max, v) }),
    { storeName: 'range' },
  );
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('in', s, n);
  input.pipeInput('a', 3, 1);
  input.pipeInput('a', 5, 2);
  input.pipeInput('b', 7, 3);
  input.pipeInput(null, 9, 4);
  input.pipeInput('a', null, 5);
  t.is(driver.getKeyValueStore('count').get('a'), 2);
  t.is(driver.getKeyValueStore('sum').get('a'), 8);
  t.deepEqual(driver.getKeyValueStore('range').get('a'), { min: 3, max: 5 });
  t.deepEqual(driver.getKeyValueStore('count').range('a', 'a'), [{ key: 'a', value: 2 }]);
});

test('table groupBy re-aggregates: values move between groups (subtract, then add)', (t) => {
  const builder = new StreamsBuilder();
  // user -> city; count users per city
  builder
    .table<string, string>('user-city', { keySerde: s, valueSerde: s })
    .groupBy((_user, city) => ({ key: city, value: city }), { keySerde: s, valueSerde: s })
    .count({ storeName: 'per-city' })
    .toStream()
    .to('city-counts', { keySerde: s, valueSerde: n });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('user-city', s, s);
  input.pipeInput('ann', 'paris', 1);
  input.pipeInput('bob', 'paris', 2);
  input.pipeInput('ann', 'rome', 3);
  input.pipeInput('bob', null, 4);
  const store = driver.getKeyValueStore<string, number>('per-city');
  t.is(store.get('paris'), 0);
  t.is(store.get('rome'), 1);
  t.deepEqual(driver.createOutputTopic('city-counts', s, n).readKeyValuesToList(), [
    { key: 'paris', value: 1 },
    { key: 'paris', value: 2 },
    { key: 'paris', value: 1 },
    { key: 'rome', value: 1 },
    { key: 'paris', value: 0 },
  ]);
});

test('grouped table reduce and aggregate use adder and subtractor', (t) => {
  const builder = new StreamsBuilder();
  const table = builder.table<string, number>('balances', { keySerde: s, valueSerde: n });
  const byBank = table.groupBy(
    (account, balance) => ({ key: account.split(':')[0] as string, value: balance }),
    { keySerde: s, valueSerde: n },
  );
  byBank.reduce(
    (a, b) => a + b,
    (a, b) => a - b,
    { storeName: 'total' },
  );
  byBank.aggregate(
    () => 0,
    (_k, v, agg) => agg + v * 2,
    (_k, v, agg) => agg - v * 2,
    { storeName: 'double', valueSerde: n },
  );
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('balances', s, n);
  input.pipeInput('x:1', 10, 1);
  input.pipeInput('x:2', 5, 2);
  input.pipeInput('x:1', 3, 3);
  input.pipeInput('y:1', 4, 4);
  t.is(driver.getKeyValueStore('total').get('x'), 8);
  t.is(driver.getKeyValueStore('total').get('y'), 4);
  t.is(driver.getKeyValueStore('double').get('x'), 16);
});

test('a join of topics with different partition counts is refused with a typed error', (t) => {
  const builder = new StreamsBuilder();
  const orders = builder.stream<string, string>('orders', { keySerde: s, valueSerde: s });
  const customers = builder.table<string, string>('customers', { keySerde: s, valueSerde: s });
  orders.join(customers, (o, c) => `${o}/${c}`).to('enriched', { keySerde: s, valueSerde: s });
  const topology = builder.build();
  const error = t.throws(
    () => new TopologyTestDriver(topology, { partitions: { orders: 4, customers: 3 } }),
    { instanceOf: CoPartitioningError },
  );
  t.is(error?.code, 'COPARTITIONING_ERROR');
  t.deepEqual(error?.topics, [
    { topic: 'orders', partitions: 4 },
    { topic: 'customers', partitions: 3 },
  ]);
  t.regex(error?.message ?? '', /same number of partitions/);
  t.notThrows(() => new TopologyTestDriver(topology, { partitions: { orders: 3, customers: 3 } }));
});

test('a repartition topic joined with a table takes the table topic partition count', (t) => {
  const builder = new StreamsBuilder();
  const orders = builder
    .stream<string, string>('orders', { keySerde: s, valueSerde: s })
    .selectKey((_k, v) => v);
  const customers = builder.table<string, string>('customers', { keySerde: s, valueSerde: s });
  orders.join(customers, (o, c) => `${o}/${c}`).to('enriched', { keySerde: s, valueSerde: s });
  t.notThrows(
    () => new TopologyTestDriver(builder.build(), { partitions: { orders: 8, customers: 3 } }),
  );
});
