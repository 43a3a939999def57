import test from 'ava';
import { Serdes, StreamsBuilder, TopologyTestDriver } from '../src/index.ts';

const s = Serdes.string();
const n = Serdes.number();

function run(
  build: (b: StreamsBuilder) => void,
  feed: [string | null, string][],
  outputs: string[],
) {
  const builder = new StreamsBuilder({
    defaultKeySerde: s as never,
    defaultValueSerde: s as never,
  });
  build(builder);
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('in', s, s);
  for (const [i, [k, v]] of feed.entries()) input.pipeInput(k, v, i * 10);
  const result = Object.fromEntries(
    outputs.map((o) => [o, driver.createOutputTopic(o, s, s).readKeyValuesToList()]),
  );
  driver.close();
  return result;
}

test('map, mapValues, filter, filterNot, selectKey, peek', (t) => {
  const seen: string[] = [];
  const out = run(
    (b) => {
      const stream = b.stream<string, string>('in');
      stream.map((k, v) => ({ key: v, value: k })).to('swapped');
      stream.mapValues((v) => v.toUpperCase()).to('upper');
      stream.filter((_k, v) => v.startsWith('a')).to('a');
      stream.filterNot((_k, v) => v.startsWith('a')).to('not-a');
      stream.selectKey((_k, v) => v.length.toString()).to('by-length');
      stream.peek((k) => seen.push(k)).to('peeked');
    },
    [
      ['1', 'apple'],
      ['2', 'kiwi'],
      ['3', 'avocado'],
    ],
    ['swapped', 'upper', 'a', 'not-a', 'by-length', 'peeked'],
  );
  t.deepEqual(out.swapped, [
    { key: 'apple', value: '1' },
    { key: 'kiwi', value: '2' },
    { key: 'avocado', value: '3' },
  ]);
  t.deepEqual(
    out.upper?.map((r) => r.value),
    ['APPLE', 'KIWI', 'AVOCADO'],
  );
  t.deepEqual(
    out.a?.map((r) => r.key),
    ['1', '3'],
  );
  t.deepEqual(
    out['not-a']?.map((r) => r.key),
    ['2'],
  );
  t.deepEqual(
    out['by-length']?.map((r) => r.key),
    ['5', '4', '7'],
  );
  t.deepEqual(seen, ['1', '2', '3']);
});

test('flatMap and flatMapValues emit zero or more records per input', (t) => {
  const out = run(
    (b) => {
      const stream = b.stream<string, string>('in');
      stream.flatMap((k, v) => [...v].map((c) => ({ key: c, value: k }))).to('chars');
      stream.flatMapValues((v) => (v === 'skip' ? [] : [v, v])).to('doubled');
    },
    [
      ['k', 'ab'],
      ['j', 'skip'],
    ],
    ['chars', 'doubled'],
  );
  t.deepEqual(out.chars, [
    { key: 'a', value: 'k' },
    { key: 'b', value: 'k' },
    { key: 's', value: 'j' },
    { key: 'k', value: 'j' },
    { key: 'i', value: 'j' },
    { key: 'p', value: 'j' },
  ]);
  t.deepEqual(
    out.doubled?.map((r) => r.value),
    ['ab', 'ab'],
  );
});

test('branch sends each record to the first matching branch only; merge joins streams', (t) => {
  const out = run(
    (b) => {
      const [small, medium, rest] = b.stream<string, string>('in').branch(
        (_k, v) => v.length < 3,
        (_k, v) => v.length < 6,
        () => true,
      );
      small?.to('small');
      medium?.to('medium');
      rest?.to('rest');
      small?.merge(rest as never).to('merged');
    },
    [
      ['1', 'ab'],
      ['2', 'abcd'],
      ['3', 'abcdefgh'],
      ['4', 'x'],
    ],
    ['small', 'medium', 'rest', 'merged'],
  );
  t.deepEqual(
    out.small?.map((r) => r.key),
    ['1', '4'],
  );
  t.deepEqual(
    out.medium?.map((r) => r.key),
    ['2'],
  );
  t.deepEqual(
    out.rest?.map((r) => r.key),
    ['3'],
  );
  t.deepEqual(
    out.merged?.map((r) => r.key),
    ['1', '3', '4'],
  );
});

test('a changed key is repartitioned before grouping; an unchanged one is not', (t) => {
  const builder = new StreamsBuilder();
  const stream = builder.stream<string, string>('in', { keySerde: s, valueSerde: s });
  stream.groupByKey().count({ storeName: 'by-key' });
  stream
    .selectKey((_k, v) => v)
    .groupByKey({ name: 'by-value' })
    .count({ storeName: 'by-value-count' });
  const topology = builder.build();
  t.deepEqual(
    topology.repartitionTopics().map((r) => r.name),
    ['by-value-repartition'],
  );
  const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
  const input = driver.createInputTopic('in', s, s);
  input.pipeInput('k1', 'x', 1);
  input.pipeInput('k2', 'x', 2);
  input.pipeInput('k1', 'y', 3);
  t.is(driver.getKeyValueStore<string, number>('by-key').get('k1'), 2);
  t.is(driver.getKeyValueStore<string, number>('by-value-count').get('x'), 2);
  t.is(driver.rawRecords('app-by-value-repartition').length, 3);
  driver.close();
});

test('repartition with explicit serdes writes the internal topic in those serdes', (t) => {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('in', { keySerde: s, valueSerde: s })
    .mapValues((v) => v.length)
    .repartition({ name: 'lengths', valueSerde: n })
    .to('out', { keySerde: s, valueSerde: n });
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app' });
  driver.createInputTopic('in', s, s).pipeInput('k', 'hello', 5);
  const internal = driver.createOutputTopic('app-lengths-repartition', s, n).readKeyValuesToList();
  t.deepEqual(internal, [{ key: 'k', value: 5 }]);
  t.deepEqual(
    driver
      .createOutputTopic('out', s, n)
      .readRecordsToList()
      .map((r) => [r.key, r.value, r.timestamp]),
    [['k', 5, 5]],
  );
  driver.close();
});

test('bad bytes fail the task by default, or are skipped when asked', (t) => {
  const build = () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, number>('in', { keySerde: s, valueSerde: n })
      .to('out', { keySerde: s, valueSerde: n });
    return builder.build();
  };
  const failing = new TopologyTestDriver(build());
  const raw = failing.createInputTopic('in', s, s);
  const error = t.throws(() => raw.pipeInput('k', 'not eight bytes'));
  t.is((error as { code?: string }).code, 'DESERIALIZATION_ERROR');
  const skipping = new TopologyTestDriver(build(), { deserializationErrors: 'skip' });
  const input = skipping.createInputTopic('in', s, s);
  input.pipeInput('k', 'bad');
  t.is(skipping.skipped.length, 1);
  t.true(skipping.createOutputTopic('out', s, n).isEmpty());
});
