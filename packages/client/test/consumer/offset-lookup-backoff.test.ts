import {
  Api,
  encodeRecordBatch,
  initChecksums,
  type RequestOf,
  stampBaseOffset,
} from '@tributary/protocol';
import test from 'ava';
import { Client } from '../../src/index.ts';
import { singleBrokerMetadata, startScriptedBroker } from '../helpers/scripted-broker.ts';

test('a ListOffsets answer that leaves out a partition is retried after a backoff, not at once', async (t) => {
  await initChecksums();
  // Regression: the position lookup counted such an answer as a success and asked again
  // immediately, a busy loop of ListOffsets requests for as long as the broker left it out.
  t.timeout(60_000);
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  let listOffsetsRequests = 0;
  let fetchesOfPartition1 = 0;
  broker.handle((exchange) => {
    const { api, body } = exchange.frame;
    if (api === Api.Metadata) {
      exchange.reply(singleBrokerMetadata(broker, { t: 2 }));
    } else if (api === Api.ListOffsets) {
      listOffsetsRequests += 1;
      // Answers for partition 1 only, whatever was asked.
      exchange.reply({
        topics: [{ name: 't', partitions: [{ partition: 1, error: 0, offset: 0, timestamp: -1 }] }],
      });
    } else if (api === Api.Fetch) {
      const asked = (body as RequestOf<typeof Api.Fetch>).topics[0]?.partitions ?? [];
      const partitions = asked.map(({ partition, offset }) => {
        const batch = encodeRecordBatch([{ key: null, value: new Uint8Array([1]), timestamp: 1 }]);
        stampBaseOffset(batch, offset);
        if (partition === 1) fetchesOfPartition1 += 1;
        return {
          partition,
          error: 0,
          highWatermark: offset + 1,
          logStartOffset: 0,
          records: batch,
        };
      });
      exchange.reply({ topics: [{ name: 't', partitions }] });
    }
  });
  // A backoff far longer than the test: after the first answer, a second ListOffsets
  // request can only come from a loop that does not back off.
  const client = new Client({
    clientId: 'offset-lookup-backoff',
    brokers: [`127.0.0.1:${broker.port}`],
    retry: { backoffMsInitial: 120_000, backoffMsMax: 120_000, jitter: 0 },
  });
  const consumer = client.consumer({ autoOffsetReset: 'earliest' });
  t.teardown(() => consumer.disconnect({ timeoutMs: 5_000 }));
  await consumer.connect();
  consumer.assign([{ topic: 't', partitions: [0, 1] }]);
  let consumed = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      consumed += batch.messages.length;
    },
  });
  // Partition 1 is positioned and consumed meanwhile: wait for many of its round trips,
  // enough for a loop without backoff to have asked again many times.
  const deadline = Date.now() + 50_000;
  while (fetchesOfPartition1 < 30 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(fetchesOfPartition1 >= 30, `only ${fetchesOfPartition1} fetches of partition 1`);
  t.true(consumed >= 29);
  t.is(listOffsetsRequests, 1);
  t.is(consumer.position('t', 0), -1n);
});
