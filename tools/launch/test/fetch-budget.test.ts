/**
 * A Fetch's byte budget over several partitions: `maxBytes` is spent in request order, and
 * only the first partition with data may go past its limits (so a consumer always
 * progresses past a batch larger than them). Written to guard a change to concurrent
 * partition reads (measured, no gain, not kept); it holds for the node as it is.
 */
import { Api, encodeRecordBatch } from '@tributary/protocol';
import test from 'ava';
import { startDrivenCluster } from './driven-cluster.ts';
import { retry } from './protocol-driver.ts';

test('a fetch applies its byte budget in request order; only the first partition with data may exceed its limits', async (t) => {
  const { driver } = await startDrivenCluster(t, {
    name: 'fetch-budget',
    nodes: 1,
  });
  const created = await driver.createTopic('budget', 3, 1);
  t.is(created?.error, 0, created?.message ?? undefined);
  const value = Buffer.alloc(1000, 7);
  const batchBytes = encodeRecordBatch([{ key: null, value, timestamp: 1 }]).byteLength;
  for (const partition of [0, 1, 2])
    await driver.produce('budget', partition, [{ key: null, value, timestamp: 1 }]);
  const fetchSizes = (order: number[], requestBytes: number, partitionBytes: number) =>
    retry('fetch', async () => {
      const leader = await driver.leaderAddress('budget', 0);
      if (!leader) return undefined;
      const response = await driver.client.request(leader, Api.Fetch, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: requestBytes,
        topics: [
          {
            name: 'budget',
            partitions: order.map((partition) => ({
              partition,
              offset: 0,
              maxBytes: partitionBytes,
            })),
          },
        ],
      });
      const partitions = response.topics[0]?.partitions ?? [];
      if (partitions.some((p) => p.error !== 0)) return undefined;
      return partitions.map((p) => [p.partition, p.records.byteLength]);
    });
  // Room for everything: every partition answers its batch.
  t.deepEqual(await fetchSizes([0, 1, 2], 1 << 20, 1 << 20), [
    [0, batchBytes],
    [1, batchBytes],
    [2, batchBytes],
  ]);
  // Room for one and a half batches: the first partition in the request gets its batch.
  t.deepEqual(await fetchSizes([2, 0, 1], Math.floor(batchBytes * 1.5), 1 << 20), [
    [2, batchBytes],
    [0, 0],
    [1, 0],
  ]);
  // Every partition limit below a batch: only the first in request order goes past it.
  t.deepEqual(await fetchSizes([1, 2, 0], 1 << 20, 10), [
    [1, batchBytes],
    [2, 0],
    [0, 0],
  ]);
});
