/**
 * The producer over real WebSocket connections to scripted brokers: routing to leaders,
 * leader hints, lost responses and dropped connections (retried and deduplicated by the
 * model partitions' idempotence rules), acks 0, refusals, and bad input. End-to-end
 * behaviour against the real broker is tested separately.
 */
import { CompressionType, type RecordInput } from '@tributary/protocol';
import test, { type ExecutionContext } from 'ava';
import { Client } from '../../src/client.ts';
import {
  ClientClosedError,
  IllegalStateError,
  InvalidArgumentError,
  type TributaryClientError,
  type TributaryProtocolError,
} from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { RecordAccumulator } from '../../src/producer/accumulator.ts';
import type { ProducerOptions } from '../../src/producer/producer.ts';
import { SendTracker } from '../../src/producer/send-tracker.ts';
import { Sender } from '../../src/producer/sender.ts';
import { startScriptedCluster } from '../helpers/scripted-cluster.ts';

async function setup(t: ExecutionContext, options: ProducerOptions = {}, topics = { orders: 4 }) {
  const cluster = await startScriptedCluster(t, topics);
  const client = new Client({
    clientId: 'test',
    brokers: cluster.bootstrap.slice(0, 1),
    logger: silentLogger,
    unknownTopicWaitMs: 200,
    retry: { backoffMsInitial: 5, backoffMsMax: 50 },
  });
  const producer = client.producer({ lingerMs: 2, ...options });
  await producer.connect();
  t.teardown(() => producer.disconnect({ timeoutMs: 1_000 }));
  return { cluster, client, producer };
}

const values = (
  cluster: Awaited<ReturnType<typeof startScriptedCluster>>,
  topic: string,
  p: number,
) => cluster.partition(topic, p).entries.map((e) => e.value);

test('send resolves with bigint offsets per partition; records land in order at their leaders', async (t) => {
  const { cluster, producer } = await setup(t);
  t.deepEqual(producer.identity, { producerId: 1000, producerEpoch: 0 });
  const first = await producer.send({
    topic: 'orders',
    messages: [
      { value: 'a', partition: 1 },
      { value: 'b', partition: 1 },
      { value: 'c', partition: 2 },
    ],
  });
  const byPartition = new Map(first.map((r) => [r.partition, r]));
  t.is(byPartition.get(1)?.baseOffset, 0n);
  t.is(byPartition.get(1)?.lastOffset, 1n);
  t.is(byPartition.get(2)?.baseOffset, 0n);
  const second = await producer.send({ topic: 'orders', messages: [{ value: 'd', partition: 1 }] });
  t.is(second[0]?.baseOffset, 2n);
  t.deepEqual(values(cluster, 'orders', 1), ['a', 'b', 'd']);
  // Partition 1 is led by broker 2, partition 2 by broker 1.
  t.true(
    cluster.produceRequests.some(
      (r) => r.nodeId === 2 && r.body.topics[0]?.partitions[0]?.partition === 1,
    ),
  );
});

test('the same key always reaches the same partition', async (t) => {
  const { cluster, producer } = await setup(t);
  for (let i = 0; i < 5; i += 1) {
    await producer.send({ topic: 'orders', messages: [{ key: 'customer-7', value: String(i) }] });
  }
  const holding = [0, 1, 2, 3].filter((p) => cluster.partition('orders', p).entries.length > 0);
  t.is(holding.length, 1);
  t.deepEqual(values(cluster, 'orders', holding[0]!), ['0', '1', '2', '3', '4']);
});

test('NOT_LEADER with a leader hint moves the partition to the hinted broker', async (t) => {
  const { cluster, producer } = await setup(t);
  // The scripted metadata says broker 1 leads partition 0; it really moved to broker 2.
  cluster.leaders.set('orders', [2, 2, 1, 2]);
  const result = await producer.send({ topic: 'orders', messages: [{ value: 'x', partition: 0 }] });
  t.is(result[0]?.baseOffset, 0n);
  t.deepEqual(values(cluster, 'orders', 0), ['x']);
});

test('a response lost with its connection is retried and deduplicated: each record once, in order', async (t) => {
  const { cluster, producer } = await setup(t, { maxInFlightPerBroker: 5, batchBytes: 64 });
  let drops = 2;
  cluster.fault = () => (drops-- > 0 ? 'drop-after-append' : undefined);
  const messages = Array.from({ length: 40 }, (_, i) => ({ value: String(i), partition: 0 }));
  const result = await producer.send({ topic: 'orders', messages });
  t.is(result[0]?.baseOffset, 0n);
  t.is(result[0]?.lastOffset, 39n);
  t.deepEqual(
    values(cluster, 'orders', 0),
    messages.map((m) => m.value),
  );
});

test('concurrent sends to one partition keep their order and get distinct offsets', async (t) => {
  const { cluster, producer } = await setup(t, { batchBytes: 40 });
  const sends = Array.from({ length: 30 }, (_, i) =>
    producer.send({ topic: 'orders', messages: [{ value: String(i), partition: 3 }] }),
  );
  const results = await Promise.all(sends);
  t.deepEqual(
    results.map((r) => r[0]?.baseOffset),
    Array.from({ length: 30 }, (_, i) => BigInt(i)),
  );
  t.deepEqual(
    values(cluster, 'orders', 3),
    Array.from({ length: 30 }, (_, i) => String(i)),
  );
});

/**
 * After a send of 'known' to orders/0, starts a send of 'first' to orders/0 together with a
 * record for 'audit', a topic that appears only 60 ms later: that send waits (and retries)
 * for metadata, which a later send to orders alone would not have to.
 */
async function sendWaitingForMetadata(t: ExecutionContext) {
  const { cluster, producer } = await setup(t);
  await producer.send({ topic: 'orders', messages: [{ value: 'known', partition: 0 }] });
  setTimeout(() => cluster.leaders.set('audit', [1]), 60);
  const first = producer.sendBatch({
    topicMessages: [
      { topic: 'audit', messages: [{ value: 'a' }] },
      { topic: 'orders', messages: [{ value: 'first', partition: 0 }] },
    ],
  });
  return { cluster, producer, first };
}

test('a send waiting for metadata is not overtaken by a later send to the same partition', async (t) => {
  // Found by the streams end-to-end test: an output batch that waited for a metadata
  // refresh was appended after the next one, so a count's older value landed last.
  const { cluster, producer, first } = await sendWaitingForMetadata(t);
  const second = producer.send({ topic: 'orders', messages: [{ value: 'second', partition: 0 }] });
  await Promise.all([first, second]);
  t.deepEqual(values(cluster, 'orders', 0), ['known', 'first', 'second']);
});

test('a send aborted while waiting its turn does not let the next one overtake the earlier', async (t) => {
  const { cluster, producer, first } = await sendWaitingForMetadata(t);
  const controller = new AbortController();
  const aborted = producer.send({
    topic: 'orders',
    messages: [{ value: 'aborted', partition: 0 }],
    signal: controller.signal,
  });
  const third = producer.send({ topic: 'orders', messages: [{ value: 'third', partition: 0 }] });
  controller.abort();
  const error = await t.throwsAsync(aborted);
  t.is((error as TributaryClientError).code, 'ABORTED');
  await Promise.all([first, third]);
  t.deepEqual(values(cluster, 'orders', 0), ['known', 'first', 'third']);
});

test('acks 0 resolves once sent, with offset -1', async (t) => {
  const { cluster, producer } = await setup(t);
  const result = await producer.send({
    topic: 'orders',
    acks: 0,
    messages: [{ value: 'z', partition: 0 }],
  });
  t.is(result[0]?.baseOffset, -1n);
  while (cluster.partition('orders', 0).entries.length === 0)
    await new Promise((r) => setTimeout(r, 5));
  t.is(cluster.produceRequests.at(-1)?.body.acks, 0);
});

test('gzip batches arrive compressed and decode to the records', async (t) => {
  const { cluster, producer } = await setup(t, { compression: 'gzip' });
  await producer.send({ topic: 'orders', messages: [{ value: 'compressed', partition: 2 }] });
  t.deepEqual(values(cluster, 'orders', 2), ['compressed']);
});

test('a batch the broker refuses fails its send; the partition carries on', async (t) => {
  const { cluster, producer } = await setup(t);
  cluster.partition('orders', 0).poison.add(666);
  const error = await t.throwsAsync(
    producer.send({ topic: 'orders', messages: [{ value: '666', partition: 0 }] }),
  );
  t.is((error as TributaryProtocolError).code, 'MESSAGE_TOO_LARGE');
  const after = await producer.send({ topic: 'orders', messages: [{ value: '7', partition: 0 }] });
  t.is(after[0]?.baseOffset, 0n);
});

test('bad input fails fast with typed errors and sends nothing', async (t) => {
  const { cluster, producer } = await setup(t, { bufferBytesMax: 1 << 20, batchBytes: 1 << 16 });
  const tooBig = await t.throwsAsync(
    producer.send({ topic: 'orders', messages: [{ value: Buffer.alloc(2 << 20) }] }),
  );
  t.is((tooBig as TributaryProtocolError).code, 'MESSAGE_TOO_LARGE');
  const unknown = await t.throwsAsync(
    producer.send({ topic: 'missing', messages: [{ value: 'x' }] }),
  );
  t.is((unknown as TributaryProtocolError).code, 'UNKNOWN_TOPIC_OR_PARTITION');
  t.false((unknown as TributaryProtocolError).retriable);
  const badTopic = await t.throwsAsync(
    producer.send({ topic: 'no spaces', messages: [{ value: 'x' }] }),
  );
  t.is((badTopic as TributaryProtocolError).code, 'INVALID_TOPIC_EXCEPTION');
  const badPartition = await t.throwsAsync(
    producer.send({ topic: 'orders', messages: [{ value: 'x', partition: 9 }] }),
  );
  t.is((badPartition as TributaryProtocolError).code, 'UNKNOWN_TOPIC_OR_PARTITION');
  const badAcks = await t.throwsAsync(
    producer.send({ topic: 'orders', acks: 2 as never, messages: [] }),
  );
  t.true(badAcks instanceof InvalidArgumentError);
  t.is(cluster.produceRequests.length, 0);
});

test('send before connect is ILLEGAL_STATE; after disconnect CLIENT_CLOSED', async (t) => {
  const cluster = await startScriptedCluster(t, { orders: 1 });
  const client = new Client({ brokers: cluster.bootstrap, logger: silentLogger });
  const producer = client.producer();
  const early = await t.throwsAsync(producer.send({ topic: 'orders', messages: [{ value: 'x' }] }));
  t.true(early instanceof IllegalStateError);
  await producer.connect();
  await producer.disconnect();
  const late = await t.throwsAsync(producer.send({ topic: 'orders', messages: [{ value: 'x' }] }));
  t.true(late instanceof ClientClosedError);
});

test('disconnect flushes buffered records first', async (t) => {
  const { cluster, producer } = await setup(t, { lingerMs: 60_000 });
  const pending = producer.send({ topic: 'orders', messages: [{ value: 'late', partition: 0 }] });
  await producer.disconnect();
  t.is((await pending)[0]?.baseOffset, 0n);
  t.deepEqual(values(cluster, 'orders', 0), ['late']);
});

test('a full buffer makes send wait; an abort ends the wait with ABORTED', async (t) => {
  const { cluster, producer } = await setup(t, {
    bufferBytesMax: 200,
    batchBytes: 100,
    lingerMs: 0,
  });
  cluster.fault = () => ({ notLeader: -1 }); // nothing is ever acknowledged: the buffer stays full
  const filling = producer.send({
    topic: 'orders',
    messages: [{ value: Buffer.alloc(120), partition: 0 }],
  });
  filling.catch(() => {});
  const controller = new AbortController();
  const waiting = producer.send({
    topic: 'orders',
    messages: [{ value: Buffer.alloc(120), partition: 1 }],
    signal: controller.signal,
  });
  await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  const error = await t.throwsAsync(waiting);
  t.is((error as TributaryClientError).code, 'ABORTED');
  const timedOut = await t.throwsAsync(
    producer.send({
      topic: 'orders',
      messages: [{ value: Buffer.alloc(120), partition: 1 }],
      timeoutMs: 50,
    }),
  );
  t.is((timedOut as TributaryClientError).code, 'TIMEOUT');
});

test('records the batch codec would refuse fail their send with INVALID_ARGUMENT, and the producer carries on', async (t) => {
  // Before: both passed send's checks and made the batch encoding throw inside the sender's
  // timer, which ended the process.
  const { cluster, producer } = await setup(t);
  const tooManyHeaders = await t.throwsAsync(
    producer.send({
      topic: 'orders',
      messages: [
        { value: 'x', headers: Array.from({ length: 65_537 }, () => ({ key: 'h', value: null })) },
      ],
    }),
  );
  t.true(tooManyHeaders instanceof InvalidArgumentError);
  const tooFarApart = await t.throwsAsync(
    producer.send({
      topic: 'orders',
      messages: [
        { value: 'a', partition: 0, timestamp: -1 },
        { value: 'b', partition: 0, timestamp: Number.MAX_SAFE_INTEGER },
      ],
    }),
  );
  t.true(tooFarApart instanceof InvalidArgumentError);
  t.is(cluster.produceRequests.length, 0);
  const after = await producer.send({ topic: 'orders', messages: [{ value: 'ok', partition: 0 }] });
  t.is(after[0]?.baseOffset, 0n);
});

test('a batch that cannot be encoded fails its sends with INVALID_RECORD; the partition carries on', async (t) => {
  // The sender encodes in a timer: a record that got past send's checks must fail its own
  // sends there, not throw (which ended the process) nor hang.
  const scripted = await startScriptedCluster(t, { orders: 1 });
  const client = new Client({ brokers: scripted.bootstrap, logger: silentLogger });
  const cluster = client.cluster();
  t.teardown(() => cluster.close());
  const scope = cluster.scope('connect', {}, 5_000);
  await cluster.connect(scope);
  await cluster.ensureTopics(['orders'], scope);
  scope.dispose();
  const accumulator = new RecordAccumulator({
    batchBytes: 1 << 20,
    lingerMs: 0,
    deliveryTimeoutMs: 5_000,
    onBatchDone: () => {},
  });
  const sender = new Sender(
    cluster,
    accumulator,
    undefined,
    {
      idempotent: false,
      maxInFlightPerBroker: 5,
      requestTimeoutMs: 5_000,
      produceRequestBytesMax: 1 << 20,
      lingerMs: 0,
      batchBytes: 1 << 20,
    },
    silentLogger,
    client.events,
  );
  t.teardown(() => sender.close(new ClientClosedError('test over')));
  const settings = { acks: 'quorum', compression: CompressionType.none } as const;
  const append = (record: RecordInput) => {
    const tracker = new SendTracker();
    accumulator.append('orders', 0, record, 64, settings, tracker, Date.now());
    tracker.add(1);
    tracker.seal();
    // Each in a batch of its own, as separate sends would be after a linger.
    accumulator.queue('orders', 0).openBatch()!.closed = true;
    return tracker.promise;
  };
  const headers = Array.from({ length: 65_537 }, () => ({ key: 'h', value: null }));
  const refused = append({ key: null, value: null, headers, timestamp: 0 });
  const fine = append({ key: null, value: Buffer.from('ok'), timestamp: 0 });
  sender.wake();
  const error = await t.throwsAsync(refused);
  t.is((error as TributaryProtocolError).code, 'INVALID_RECORD');
  t.is((await fine)[0]?.baseOffset, 0n);
  t.deepEqual(values(scripted, 'orders', 0), ['ok']);
});
