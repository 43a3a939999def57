import test from 'ava';
import { Serdes, StreamsBuilder, TopologyTestDriver } from '../src/index.ts';

test('word count counts words through a repartition topic', (t) => {
  const builder = new StreamsBuilder();
  builder
    .stream<string | null, string>('text', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.string(),
    })
    .flatMapValues((line) =>
      line
        .toLowerCase()
        .split(/\W+/)
        .filter((w) => w.length > 0),
    )
    .groupBy((_key, word) => word, { keySerde: Serdes.string(), valueSerde: Serdes.string() })
    .count({ storeName: 'word-counts' })
    .toStream()
    .to('counts', { keySerde: Serdes.string(), valueSerde: Serdes.number() });
  const topology = builder.build();
  t.log(topology.describe());
  const driver = new TopologyTestDriver(topology);
  const input = driver.createInputTopic('text', Serdes.string(), Serdes.string());
  const output = driver.createOutputTopic('counts', Serdes.string(), Serdes.number());
  input.pipeValue('the cat and the hat');
  input.pipeValue('The end');
  const counts = output.readKeyValuesToMap();
  t.deepEqual(Object.fromEntries(counts), { the: 3, cat: 1, and: 1, hat: 1, end: 1 });
  t.is(driver.getKeyValueStore<string, number>('word-counts').get('the'), 3);
  t.true(driver.rawRecords('test-app-word-counts-changelog').length > 0);
  driver.close();
});
