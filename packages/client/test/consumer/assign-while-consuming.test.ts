/**
 * `assign()` while the consumer runs applies the new partitions in the background. That
 * work can fail (a partition the topic lacks) or be cut short (disconnect right after);
 * either must reach the application as an `error` event, not as an unhandled rejection,
 * which ends a Node 20 process.
 */
import { Api, initChecksums } from '@tributary/protocol';
import test from 'ava';
import { Client } from '../../src/client.ts';
import type { TributaryClientError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import {
  answerEmptyTopicLookups,
  emptyFetchAnswer,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

async function consuming(t: import('ava').ExecutionContext) {
  await initChecksums();
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  const empty = emptyFetchAnswer('t');
  broker.handle((exchange) => {
    if (answerEmptyTopicLookups(broker, exchange)) return;
    if (exchange.frame.api === Api.Fetch) setTimeout(() => exchange.reply(empty), 20);
  });
  const client = new Client({
    clientId: 'assign-while-consuming',
    brokers: [`127.0.0.1:${broker.port}`],
    logger: silentLogger,
    requestTimeoutMs: 300,
    retry: { backoffMsInitial: 10, backoffMsMax: 50 },
  });
  const errors: unknown[] = [];
  client.on('error', ({ error }) => errors.push(error));
  const consumer = client.consumer({});
  t.teardown(() => consumer.disconnect());
  await consumer.connect();
  consumer.assign([{ topic: 't', partitions: [0] }]);
  const iterator = consumer.messages()[Symbol.asyncIterator]();
  const waiting = iterator.next();
  while (consumer.assignment().length === 0) await new Promise((r) => setTimeout(r, 5));
  return { consumer, iterator, waiting, errors };
}

test('a partition assigned while consuming that the topic lacks is an error event; consuming goes on', async (t) => {
  const { consumer, iterator, waiting, errors } = await consuming(t);
  consumer.assign([{ topic: 't', partitions: [5] }]);
  const deadline = Date.now() + 3_000;
  while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.is(errors.length, 1, 'the failed assignment is reported once');
  const error = errors[0] as TributaryClientError;
  t.is(error.code, 'TIMEOUT');
  t.regex(error.message, /UNKNOWN_TOPIC_OR_PARTITION/);
  t.deepEqual(consumer.assignment(), [{ topic: 't', partition: 0 }]);
  await iterator.return?.();
  t.deepEqual(await waiting, { done: true, value: undefined });
});

test('disconnect right after an assign while consuming ends quietly', async (t) => {
  const { consumer, waiting, errors } = await consuming(t);
  consumer.assign([{ topic: 't', partitions: [5] }]); // retried until the disconnect ends it
  await new Promise((r) => setTimeout(r, 20));
  await consumer.disconnect();
  t.deepEqual(await waiting, { done: true, value: undefined });
  // Give a late rejection of the background assignment its chance to surface.
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(errors, []);
});
