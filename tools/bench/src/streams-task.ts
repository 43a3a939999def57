/**
 * The streams library's own per-record cost, without brokers: the word-count topology's two
 * sub-topologies run as engine tasks in this process. Lines go through task 0 (split, key
 * by word, written as repartition records with their origin header); those records, turned
 * into input records as the consumer would deliver them, go through task 1 (dedup, count in
 * the store, output record); a commit is prepared every `--commit-every` lines (changelog
 * records built from the store's changes). Prints lines/s and words/s on one core.
 *
 *   npx tsx tools/bench/src/streams-task.ts [--records 1000000] [--words 3]
 *     [--vocabulary 10000] [--commit-every 20000] [--repeat 3]
 */

import { Serdes, StreamsBuilder } from '@tributary/streams';
import { prepareCommit, Task } from '@tributary/streams/internal';
import { benchArgs, numberArg } from './args.ts';

const values = benchArgs({
  records: { type: 'string', default: '1000000' },
  words: { type: 'string', default: '3' },
  vocabulary: { type: 'string', default: '10000' },
  'commit-every': { type: 'string', default: '20000' },
  repeat: { type: 'string', default: '3' },
});
const records = numberArg(values, 'records');
const wordsPerLine = numberArg(values, 'words');
const vocabulary = numberArg(values, 'vocabulary');
const commitEvery = numberArg(values, 'commit-every');

function line(i: number): string {
  const words: string[] = [];
  for (let j = 0; j < wordsPerLine; j++) words.push(`word${(i * 7919 + j * 104_729) % vocabulary}`);
  return words.join(' ');
}

function topology() {
  const s = Serdes.string();
  const builder = new StreamsBuilder();
  builder
    .stream<string | null, string>('lines', { keySerde: s, valueSerde: s })
    .flatMapValues((text) => text.split(' '))
    .groupBy((_key, word) => word, { keySerde: s, valueSerde: s, name: 'words' })
    .count({ storeName: 'counts' })
    .toStream()
    .to('counts', { keySerde: s, valueSerde: Serdes.number() });
  return builder.build();
}

interface RoundResult {
  seconds: number;
  cpuSeconds: number;
  outputs: number;
  changelog: number;
}

function runOnce(inputs: Buffer[]): RoundResult {
  const built = topology();
  const [splitter, counter] = built.subtopologies;
  if (!splitter || !counter) throw new Error('word count has two sub-topologies');
  const repartitioned: Parameters<Task['process']>[0][] = [];
  let outputs = 0;
  let changelog = 0;
  const split = new Task({
    applicationId: 'bench',
    subtopology: splitter,
    partition: 0,
    collector: {
      send: (r) =>
        repartitioned.push({
          topic: r.topic,
          partition: 0,
          offset: repartitioned.length,
          key: r.key,
          value: r.value,
          timestamp: r.timestamp,
          headers: r.headers,
        }),
    },
  });
  const count = new Task({
    applicationId: 'bench',
    subtopology: counter,
    partition: 0,
    collector: {
      send: () => {
        outputs += 1;
      },
    },
  });
  let repartitionOffset = 0;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let from = 0; from < inputs.length; from += commitEvery) {
    const to = Math.min(inputs.length, from + commitEvery);
    for (let i = from; i < to; i++) {
      split.process({
        topic: 'lines',
        partition: 0,
        offset: i,
        key: null,
        value: inputs[i] as Buffer,
        timestamp: 1_700_000_000_000 + i,
        headers: [],
      });
    }
    for (const r of repartitioned) count.process({ ...r, offset: repartitionOffset++ });
    repartitioned.length = 0;
    for (const task of [split, count]) {
      for (const records of prepareCommit(task).changelog.values()) changelog += records.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, outputs, changelog };
}

const inputs = Array.from({ length: records }, (_, i) => Buffer.from(line(i)));
const perSecond = (count: number, seconds: number) =>
  Math.round(count / seconds).toLocaleString('en-US');
for (let round = 1; round <= numberArg(values, 'repeat'); round++) {
  const { seconds, cpuSeconds, outputs, changelog } = runOnce(inputs);
  console.log(
    `round ${round}: ${records} lines in ${seconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} CPU-s): ` +
      `${perSecond(records, seconds)} lines/s, ${perSecond(records * wordsPerLine, seconds)} words/s wall; ` +
      `${perSecond(records, cpuSeconds)} lines, ${perSecond(records * wordsPerLine, cpuSeconds)} words per CPU-second; ` +
      `${outputs} outputs, ${changelog} changelog records`,
  );
}
