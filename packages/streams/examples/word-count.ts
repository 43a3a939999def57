/**
 * Word count: lines in, a running count per word out (a table, written as a changelog
 * stream to `word-counts`). Run against a cluster started with `npm start`:
 *
 *   npx tsx packages/streams/examples/word-count.ts [--brokers host:port,...]
 */
import { Serdes, StreamsBuilder } from '../src/index.ts';
import { createTopics, exampleClient, isMain, runUntil } from './example-runner.ts';

export function wordCountTopology(input = 'text-lines', output = 'word-counts') {
  const builder = new StreamsBuilder();
  builder
    .stream<string | null, string>(input, {
      keySerde: Serdes.string(),
      valueSerde: Serdes.string(),
    })
    .flatMapValues((line) =>
      line
        .toLowerCase()
        .split(/\W+/)
        .filter((word) => word.length > 0),
    )
    .groupBy((_key, word) => word, { keySerde: Serdes.string(), valueSerde: Serdes.string() })
    .count({ storeName: 'word-counts' })
    .toStream()
    .to(output, { keySerde: Serdes.string(), valueSerde: Serdes.number() });
  return builder.build();
}

async function main(): Promise<void> {
  const client = exampleClient('word-count-example');
  await createTopics(client, [
    { topic: 'text-lines', partitions: 3 },
    { topic: 'word-counts', partitions: 3 },
  ]);
  const producer = client.producer();
  await producer.connect();
  const counts = await runUntil({
    topology: wordCountTopology(),
    applicationId: 'word-count-example',
    client,
    feed: () =>
      producer
        .send({
          topic: 'text-lines',
          messages: [{ value: 'all streams lead to the log' }, { value: 'the log is the truth' }],
        })
        .then(() => undefined),
    result: (streams) => {
      // Done once all 11 words are counted: words live in different tasks (partitions of
      // the repartition topic), so one word's count says nothing about the others.
      const all = streams.keyValueStore<string, number>('word-counts').all();
      return all.reduce((sum, e) => sum + e.value, 0) >= 11 ? all : undefined;
    },
  });
  for (const { key, value } of counts) console.log(`${key}\t${value}`);
  await producer.disconnect();
}

if (isMain(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
