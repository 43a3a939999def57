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

test('a long-polling fetch wakes when any of its partitions gets data, and otherwise answers empty at its deadline', async (t) => {
  const { driver } = await startDrivenCluster(t, { name: 'fetch-wait', nodes: 1 });
  t.is((await driver.createTopic('waits', 2, 1)).error, 0);
  const leader = await retry('leader', () => driver.leaderAddress('waits', 0));
  const fetchAtEnd = (maxWaitMs: number) =>
    driver.client.request(
      leader,
      Api.Fetch,
      {
        maxWaitMs,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [
          {
            name: 'waits',
            partitions: [0, 1].map((partition) => ({ partition, offset: 0, maxBytes: 1 << 20 })),
          },
        ],
      },
      90_000,
    );

  // Both partitions led and serving before anything is timed.
  await retry('both partitions serve', async () => {
    const ready = await fetchAtEnd(0);
    return ready.topics[0]?.partitions.every((p) => p.error === 0) ? true : undefined;
  });
  const started = Date.now();
  const empty = await fetchAtEnd(200);
  t.true(Date.now() - started >= 190, 'an empty log holds the fetch until its deadline');
  t.deepEqual(
    empty.topics[0]?.partitions.map((p) => [p.error, p.records.byteLength]),
    [
      [0, 0],
      [0, 0],
    ],
  );

  // Waiting on both partitions; data arrives on the second only. A fetch whose wake were
  // lost would read the record only at its 60 s deadline: the bound below is 15 s.
  const waiting = fetchAtEnd(60_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const producedAt = Date.now();
  await driver.produce('waits', 1, [{ key: null, value: Buffer.from('late'), timestamp: 1 }]);
  const woken = await waiting;
  t.true(Date.now() - producedAt < 15_000, 'woken by the record, not by its deadline');
  const sizes = new Map(
    woken.topics[0]?.partitions.map((p) => [p.partition, p.records.byteLength]),
  );
  t.is(sizes.get(0), 0);
  t.true((sizes.get(1) ?? 0) > 0, 'the record produced while the fetch waited');
});
