import { Api, initChecksums } from '@tributary/protocol';
import test from 'ava';
import {
  answerEmptyTopicLookups,
  emptyFetchAnswer,
  iteratingConsumer,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

// Regression: with an async generator, return() waited behind a next() that waited for
// records, so ending an iteration with nothing to read hung until data arrived.
test('return() ends an iteration whose next() is waiting for records; the waiting next() ends too', async (t) => {
  await initChecksums();
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  let fetches = 0;
  broker.handle((exchange) => {
    if (answerEmptyTopicLookups(broker, exchange)) return;
    if (exchange.frame.api === Api.Fetch) {
      fetches += 1;
      const empty = emptyFetchAnswer('t');
      setTimeout(() => exchange.reply(empty), 20);
    }
  });
  const { consumer, iterator } = await iteratingConsumer(t, broker, 'iterator-end');
  t.timeout(30_000);
  const waiting = iterator.next();
  while (fetches < 2) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(await iterator.return?.(), { done: true, value: undefined });
  t.deepEqual(await waiting, { done: true, value: undefined });
  t.deepEqual(await iterator.next(), { done: true, value: undefined });
  // The consumer stopped with the iteration and can iterate again.
  const again = consumer.messages()[Symbol.asyncIterator]();
  const next = again.next();
  await again.return?.();
  t.deepEqual(await next, { done: true, value: undefined });
});
