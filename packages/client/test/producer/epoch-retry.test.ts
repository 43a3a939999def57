/**
 * A partition whose broker state was lost needs a new producer epoch (InitProducerId). When
 * that request fails, the partition asks again after a pause: once at a time, however often
 * the sender drains meanwhile, and never after the producer is closed.
 */
import { Api, ErrorCode } from '@tributary/protocol';
import test, { type ExecutionContext } from 'ava';
import { Client } from '../../src/client.ts';
import type { Logger } from '../../src/logger.ts';
import { singleBrokerMetadata, startScriptedBroker } from '../helpers/scripted-broker.ts';

const epochWarning = 'could not get a new producer epoch';

/**
 * A producer whose partition 0 has just lost its broker state (OUT_OF_ORDER for a batch that
 * overtook nothing); every later InitProducerId is refused, so its new epoch keeps failing.
 * Partition 1 takes records normally.
 */
async function producerNeedingEpoch(t: ExecutionContext) {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  let initProducerIds = 0;
  let nextOffset = 0;
  broker.handle((exchange) => {
    const { api } = exchange.frame;
    if (api === Api.Metadata) exchange.reply(singleBrokerMetadata(broker, { t: 2 }));
    else if (api === Api.InitProducerId) {
      initProducerIds += 1;
      if (initProducerIds === 1) exchange.reply({ error: 0, producerId: 7, producerEpoch: 0 });
      else
        exchange.reply({ error: ErrorCode.InvalidRequest.code, producerId: -1, producerEpoch: -1 });
    } else if (api === Api.Produce) {
      const body = exchange.frame.body as { topics: { partitions: { partition: number }[] }[] };
      const partitions = body.topics[0]!.partitions.map(({ partition }) =>
        partition === 0
          ? {
              partition,
              error: ErrorCode.OutOfOrderSequence.code,
              baseOffset: -1,
              logStartOffset: -1,
            }
          : { partition, error: 0, baseOffset: nextOffset++, logStartOffset: 0 },
      );
      exchange.reply({ topics: [{ name: 't', partitions }] });
    }
  });
  const warnings: number[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message) => {
      if (message === epochWarning) warnings.push(Date.now());
    },
    error: () => {},
  };
  const client = new Client({ brokers: [`127.0.0.1:${broker.port}`], logger });
  const producer = client.producer({ lingerMs: 0 });
  t.teardown(() => producer.disconnect({ timeoutMs: 500 }));
  await producer.connect();
  const lost = await t.throwsAsync(
    producer.send({ topic: 't', messages: [{ value: 'x', partition: 0 }] }),
  );
  t.is((lost as { code?: string }).code, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  while (warnings.length === 0) await new Promise((r) => setTimeout(r, 5));
  return { producer, warnings, initProducerIds: () => initProducerIds };
}

test('a failing new epoch is asked for once per pause, however often the sender drains', async (t) => {
  const { producer, initProducerIds } = await producerNeedingEpoch(t);
  const before = initProducerIds();
  const until = Date.now() + 1_300;
  // Each send makes the sender drain; each drain looks at partition 0's epoch.
  for (let i = 0; Date.now() < until; i += 1) {
    await producer.send({ topic: 't', messages: [{ value: String(i), partition: 1 }] });
    await new Promise((r) => setTimeout(r, 10));
  }
  // One pause of 1 s passed: one more request (two if the clock is unkind), not one per drain.
  t.true(initProducerIds() - before <= 2, `${initProducerIds() - before} InitProducerId requests`);
});

test('no new epoch is asked for after disconnect', async (t) => {
  const { producer, warnings } = await producerNeedingEpoch(t);
  await producer.disconnect({ timeoutMs: 500 });
  const closedAtMs = Date.now();
  await new Promise((r) => setTimeout(r, 1_300)); // past the pause before a retry
  t.deepEqual(
    warnings.filter((atMs) => atMs > closedAtMs),
    [],
  );
});
