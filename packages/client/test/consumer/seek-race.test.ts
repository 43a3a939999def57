import {
  Api,
  encodeRecordBatch,
  initChecksums,
  type RequestOf,
  stampBaseOffset,
} from '@tributary/protocol';
import test from 'ava';
import {
  iteratingConsumer,
  singleBrokerMetadata,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

test('a seek made while the first offset lookup is in flight is not overwritten by that lookup', async (t) => {
  await initChecksums();
  // Regression: a seek to earliest during the initial "latest" lookup was undone when the
  // lookup answered, so the consumer started at the end instead.
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  const fetchOffsets: number[] = [];
  let answerLatest: (() => void) | undefined;
  broker.handle((exchange) => {
    const { api, body } = exchange.frame;
    if (api === Api.Metadata) {
      exchange.reply(singleBrokerMetadata(broker, { t: 1 }));
    } else if (api === Api.ListOffsets) {
      const timestamp = (body as RequestOf<typeof Api.ListOffsets>).topics[0]?.partitions[0]
        ?.timestamp;
      const answer = (offset: number) =>
        exchange.reply({
          topics: [{ name: 't', partitions: [{ partition: 0, error: 0, offset, timestamp: -1 }] }],
        });
      if (timestamp === -1)
        answerLatest = () => answer(10); // held until the seek is made
      else answer(0);
    } else if (api === Api.Fetch) {
      const offset = (body as RequestOf<typeof Api.Fetch>).topics[0]?.partitions[0]?.offset ?? -1;
      fetchOffsets.push(offset);
      const batch = encodeRecordBatch([
        { key: null, value: new Uint8Array([offset]), timestamp: 1 },
      ]);
      stampBaseOffset(batch, offset);
      exchange.reply({
        topics: [
          {
            name: 't',
            partitions: [
              { partition: 0, error: 0, highWatermark: 11, logStartOffset: 0, records: batch },
            ],
          },
        ],
      });
    }
  });
  const { consumer, iterator } = await iteratingConsumer(t, broker, 'seek-race');
  t.timeout(30_000);
  const first = iterator.next();
  while (!answerLatest) await new Promise((r) => setTimeout(r, 10));
  consumer.seek({ topic: 't', partition: 0, offset: 'earliest' });
  answerLatest();
  const message = await first;
  t.is(message.value?.offset, 0n);
  t.is(fetchOffsets[0], 0);
  await iterator.return?.();
});
