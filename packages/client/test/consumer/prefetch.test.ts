/**
 * Prefetching: the consumer fetches a partition's next chunks while the application works
 * on the current one. Chunks prefetched before a seek or a pause must never be delivered,
 * and the bytes held stay bounded. The broker is scripted so the tests decide when each
 * Fetch is answered and can tell every answer apart (each record carries the serial number
 * of the Fetch answer it came in).
 */
import {
  Api,
  encodeRecordBatch,
  initChecksums,
  type RequestOf,
  stampBaseOffset,
} from '@tributary/protocol';
import test from 'ava';
import type { Consumer } from '../../src/consumer/consumer.ts';
import { Client } from '../../src/index.ts';
import { consumerPrefetchUsage } from '../../src/internal.ts';
import { type ScriptedBroker, startScriptedBroker } from '../helpers/scripted-broker.ts';

const recordsPerChunk = 10;
const valueBytes = 100;

/** One Fetch answer's records for a partition: `recordsPerChunk` records from `offset`. */
function chunkAt(offset: number, serial: number): Uint8Array {
  const value = new Uint8Array(valueBytes).fill(serial % 256);
  const batch = encodeRecordBatch(
    Array.from({ length: recordsPerChunk }, () => ({ key: null, value, timestamp: 1 })),
  );
  stampBaseOffset(batch, offset);
  return batch;
}

const chunkBytes = chunkAt(0, 0).byteLength;

interface Served {
  readonly serial: number;
  readonly partition: number;
  readonly offset: number;
}

/** A one-broker cluster serving topic `t` with endless records in every partition. */
async function scriptedLog(partitions: number): Promise<{
  broker: ScriptedBroker;
  served: Served[];
  /** Called as each Fetch request arrives, before it is answered. */
  onFetch: (observe: () => void) => void;
}> {
  const broker = await startScriptedBroker({ nodeId: 1 });
  const served: Served[] = [];
  let observe = () => {};
  broker.handle((exchange) => {
    const { api, body } = exchange.frame;
    if (api === Api.Metadata) {
      exchange.reply({
        clusterId: 'c',
        controllerId: 1,
        brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port }],
        topics: [
          {
            name: 't',
            error: 0,
            partitions: Array.from({ length: partitions }, (_, partition) => ({
              partition,
              error: 0,
              leader: 1,
              leaderEpoch: 1,
              replicas: [1],
              learners: [],
            })),
          },
        ],
      });
    } else if (api === Api.ListOffsets) {
      const asked = (body as RequestOf<typeof Api.ListOffsets>).topics[0]?.partitions ?? [];
      exchange.reply({
        topics: [
          {
            name: 't',
            partitions: asked.map(({ partition }) => ({
              partition,
              error: 0,
              offset: 0,
              timestamp: -1,
            })),
          },
        ],
      });
    } else if (api === Api.Fetch) {
      observe();
      const asked = (body as RequestOf<typeof Api.Fetch>).topics[0]?.partitions ?? [];
      const results = asked.map(({ partition, offset }) => {
        const serial = served.length + 1;
        served.push({ serial, partition, offset });
        return {
          partition,
          error: 0,
          highWatermark: 1_000_000,
          logStartOffset: 0,
          records: chunkAt(offset, serial),
        };
      });
      exchange.reply({ topics: [{ name: 't', partitions: results }] });
    }
  });
  return {
    broker,
    served,
    onFetch: (next) => {
      observe = next;
    },
  };
}

interface Delivered {
  readonly partition: number;
  readonly firstOffset: number;
  readonly serial: number;
}

/** Runs `eachBatch`; the first batch's handler waits until `releaseFirst` is called. */
async function runHoldingFirstBatch(consumer: Consumer) {
  const delivered: Delivered[] = [];
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const first = batch.messages[0];
      if (first === undefined) return;
      delivered.push({
        partition: batch.partition,
        firstOffset: Number(first.offset),
        serial: first.value?.[0] ?? -1,
      });
      if (delivered.length === 1) await firstHeld;
    },
  });
  return { delivered, releaseFirst };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function consumerOf(
  broker: ScriptedBroker,
  options: Parameters<Client['consumer']>[0] = {},
): Promise<Consumer> {
  const client = new Client({ clientId: 'prefetch', brokers: [`127.0.0.1:${broker.port}`] });
  const consumer = client.consumer({ autoOffsetReset: 'earliest', ...options });
  await consumer.connect();
  consumer.assign([{ topic: 't' }]);
  return consumer;
}

/** The chunk being processed plus two prefetched ones, and no Fetch still in flight. */
function twoChunksAhead(consumer: Consumer): boolean {
  const usage = consumerPrefetchUsage(consumer);
  return usage.bufferedBytes === 3 * chunkBytes && usage.reservedBytes === 0;
}

test.before(() => initChecksums());

test('the next chunks are fetched while the application works on the current one', async (t) => {
  t.timeout(90_000);
  const { broker, served } = await scriptedLog(1);
  t.teardown(() => broker.close());
  const consumer = await consumerOf(broker);
  t.teardown(() => consumer.disconnect({ timeoutMs: 5_000 }));
  const { delivered, releaseFirst } = await runHoldingFirstBatch(consumer);
  await until(() => twoChunksAhead(consumer), 'two chunks prefetched');
  // Held at the first batch: the two after it were fetched, and no more.
  t.deepEqual(
    served.map((s) => s.offset),
    [0, recordsPerChunk, 2 * recordsPerChunk],
  );
  t.is(delivered.length, 1);
  releaseFirst();
  await until(() => delivered.length >= 6, 'six batches');
  // In offset order, each batch exactly once.
  t.deepEqual(
    delivered.slice(0, 6).map((d) => d.firstOffset),
    [0, 1, 2, 3, 4, 5].map((i) => i * recordsPerChunk),
  );
});

test('chunks prefetched before a seek are never delivered', async (t) => {
  t.timeout(90_000);
  const { broker, served } = await scriptedLog(1);
  t.teardown(() => broker.close());
  const consumer = await consumerOf(broker);
  t.teardown(() => consumer.disconnect({ timeoutMs: 5_000 }));
  const { delivered, releaseFirst } = await runHoldingFirstBatch(consumer);
  await until(() => twoChunksAhead(consumer), 'two chunks prefetched');
  const servedBeforeSeek = served.length;
  consumer.seek({ topic: 't', partition: 0, offset: 1000n });
  // The prefetched chunks are dropped at once; the one being processed counts until done.
  t.is(consumerPrefetchUsage(consumer).bufferedBytes, chunkBytes);
  releaseFirst();
  await until(() => delivered.length >= 3, 'three batches');
  const afterSeek = delivered.slice(1);
  t.deepEqual(
    afterSeek.slice(0, 2).map((d) => d.firstOffset),
    [1000, 1000 + recordsPerChunk],
  );
  // Serials are read back modulo 256: look only at the first batches, far below that.
  for (const batch of afterSeek.slice(0, 2)) t.true(batch.serial > servedBeforeSeek);
});

test('chunks prefetched before a pause are dropped and never delivered; resume refetches', async (t) => {
  t.timeout(90_000);
  const { broker, served } = await scriptedLog(1);
  t.teardown(() => broker.close());
  const consumer = await consumerOf(broker);
  t.teardown(() => consumer.disconnect({ timeoutMs: 5_000 }));
  const { delivered, releaseFirst } = await runHoldingFirstBatch(consumer);
  await until(() => twoChunksAhead(consumer), 'two chunks prefetched');
  consumer.pause([{ topic: 't' }]);
  t.is(consumerPrefetchUsage(consumer).bufferedBytes, chunkBytes);
  releaseFirst();
  // The batch being processed is released; nothing is fetched or delivered while paused.
  await until(() => consumerPrefetchUsage(consumer).bufferedBytes === 0, 'buffer empty');
  const servedAtPause = served.length;
  t.is(delivered.length, 1);
  t.is(servedAtPause, 3);
  consumer.resume([{ topic: 't' }]);
  await until(() => delivered.length >= 3, 'batches after resume');
  // The batch paused mid-processing was not consumed, so delivery starts over from it, from
  // a Fetch made after the resume: no record of the chunks fetched before the pause.
  const afterResume = delivered.slice(1);
  t.deepEqual(
    afterResume.slice(0, 2).map((d) => d.firstOffset),
    [0, recordsPerChunk],
  );
  for (const batch of afterResume.slice(0, 2)) t.true(batch.serial > servedAtPause);
});

test('buffered and reserved bytes stay within prefetchBytesMax plus one Fetch', async (t) => {
  t.timeout(90_000);
  const partitions = 4;
  const { broker, served, onFetch } = await scriptedLog(partitions);
  t.teardown(() => broker.close());
  const prefetchBytesMax = 5 * chunkBytes;
  const maxBytesPerPartition = chunkBytes;
  const consumer = await consumerOf(broker, {
    prefetchBytesMax,
    maxBytesPerPartition,
    maxBytes: 64 * chunkBytes,
    fetchesInflightPerBrokerMax: 3,
  });
  t.teardown(() => consumer.disconnect({ timeoutMs: 5_000 }));
  let mostHeld = 0;
  const observe = () => {
    const usage = consumerPrefetchUsage(consumer);
    mostHeld = Math.max(mostHeld, usage.bufferedBytes + usage.reservedBytes);
  };
  onFetch(observe);
  // The application holds its first batch: fetching must stop at the bound.
  const { releaseFirst } = await runHoldingFirstBatch(consumer);
  t.teardown(releaseFirst);
  await until(() => {
    const usage = consumerPrefetchUsage(consumer);
    return usage.reservedBytes === 0 && usage.bufferedBytes >= prefetchBytesMax;
  }, 'the buffer to fill');
  observe();
  const servedWhenFull = served.length;
  // One more chance for a fetch to slip out: a full round of the event loop and timers.
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(served.length, servedWhenFull);
  const oneFetchMost = partitions * maxBytesPerPartition;
  t.true(
    mostHeld <= prefetchBytesMax + oneFetchMost,
    `held ${mostHeld} bytes, bound ${prefetchBytesMax + oneFetchMost}`,
  );
  // Never more than two untaken chunks per partition, plus the one being processed.
  t.true(servedWhenFull <= partitions * 2 + 1);
});

test('chunks prefetched before a revocation are dropped and never delivered', async (t) => {
  // Without a group, stop() revokes every assigned partition through the same path a
  // rebalance takes; the consumer can then run again.
  t.timeout(90_000);
  const { broker, served } = await scriptedLog(1);
  t.teardown(() => broker.close());
  const consumer = await consumerOf(broker);
  t.teardown(() => consumer.disconnect({ timeoutMs: 5_000 }));
  const { delivered, releaseFirst } = await runHoldingFirstBatch(consumer);
  await until(() => twoChunksAhead(consumer), 'two chunks prefetched');
  const stopped = consumer.stop({ timeoutMs: 60_000 });
  // Revocation drops the prefetched chunks before it waits for the handler.
  await until(() => consumerPrefetchUsage(consumer).bufferedBytes === chunkBytes, 'the drop');
  t.deepEqual(consumer.assignment(), []);
  releaseFirst();
  await stopped;
  t.is(consumerPrefetchUsage(consumer).bufferedBytes, 0);
  t.is(delivered.length, 1);
  const servedAtRevoke = served.length;
  // Assigned again, it starts over (no group, so no commit: from the earliest offset), from
  // new Fetches only.
  const again: Delivered[] = [];
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const first = batch.messages[0];
      if (first !== undefined)
        again.push({
          partition: batch.partition,
          firstOffset: Number(first.offset),
          serial: first.value?.[0] ?? -1,
        });
    },
  });
  await until(() => again.length >= 2, 'batches after the revocation');
  t.deepEqual(
    again.slice(0, 2).map((d) => d.firstOffset),
    [0, recordsPerChunk],
  );
  for (const batch of again.slice(0, 2)) t.true(batch.serial > servedAtRevoke);
});
