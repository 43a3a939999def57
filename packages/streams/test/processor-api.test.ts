import test from 'ava';
import {
  type Processor,
  type ProcessorContext,
  Serdes,
  Stores,
  StreamsBuilder,
  TopologyTestDriver,
} from '../src/index.ts';
import type { KeyValueStore } from '../src/state/key-value-store.ts';

const s = Serdes.string();
const n = Serdes.number();

test('a custom processor uses its store and punctuates on stream time and wall-clock time', (t) => {
  const builder = new StreamsBuilder();
  builder.addStateStore(Stores.keyValueStore('totals', s, n));
  builder
    .stream<string, number>('in', { keySerde: s, valueSerde: n })
    .process<string, number>(() => {
      let context: ProcessorContext;
      let totals: KeyValueStore<string, number>;
      const flush = (label: string) => (time: number) => {
        for (const { key, value } of totals.all())
          context.forward({ key: `${label}:${key}`, value, timestamp: time, headers: [] });
      };
      const processor: Processor<string, number> = {
        init(ctx) {
          context = ctx;
          totals = ctx.getStateStore('totals');
          ctx.schedule(10, 'stream-time', flush('stream'));
          ctx.schedule(1000, 'wall-clock', flush('wall'));
        },
        process(record) {
          totals.put(record.key, (totals.get(record.key) ?? 0) + record.value);
        },
      };
      return processor;
    }, 'totals')
    .to('out', { keySerde: s, valueSerde: n });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('in', s, n);
  const output = driver.createOutputTopic('out', s, n);
  input.pipeInput('a', 1, 3); // first observation: next stream punctuation at 10
  input.pipeInput('a', 2, 9);
  t.true(output.isEmpty());
  input.pipeInput('b', 5, 12);
  t.deepEqual(output.readKeyValuesToList(), [
    { key: 'stream:a', value: 3 },
    { key: 'stream:b', value: 5 },
  ]);
  driver.advanceWallClockTime(999);
  t.true(output.isEmpty());
  driver.advanceWallClockTime(1);
  t.deepEqual(output.readKeyValuesToList(), [
    { key: 'wall:a', value: 3 },
    { key: 'wall:b', value: 5 },
  ]);
});

test('a processor not connected to a store cannot reach it', (t) => {
  const builder = new StreamsBuilder();
  builder.addStateStore(Stores.keyValueStore('private', s, n));
  const stream = builder.stream<string, number>('in', { keySerde: s, valueSerde: n });
  stream.process(() => ({ process() {} }), 'private');
  stream.process(() => ({
    init(ctx: ProcessorContext) {
      ctx.getStateStore('private');
    },
    process() {},
  }));
  const error = t.throws(() => new TopologyTestDriver(builder.build()));
  t.regex(error?.message ?? '', /not connected to store private/);
});
