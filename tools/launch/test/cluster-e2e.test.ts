import { readFileSync } from 'node:fs';
import { Api, ErrorCode, encodeRecordBatch } from '@tributary/protocol';
import test from 'ava';
import { startDrivenCluster } from './driven-cluster.ts';
import { retry } from './protocol-driver.ts';

test('a three-node cluster creates a topic, takes produces with each acks level, and serves fetches', async (t) => {
  // A harmless extra node argument (the default value), to see execArgv reach the nodes.
  const extraNodeArgument = '--max-http-header-size=16384';
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'e2e',
    nodes: 3,
    execArgv: [extraNodeArgument],
  });
  const commandLine = readFileSync(`/proc/${cluster.pid(1)}/cmdline`, 'utf8').split('\0');
  t.true(commandLine.includes(extraNodeArgument), commandLine.join(' '));
  const created = await driver.createTopic('orders', 3, 3);
  t.is(created.error, 0, created.message);
  const producer = await retry('producer id', () =>
    driver.anyBroker((a) =>
      driver.client.request(a, Api.InitProducerId, { producerId: -1, producerEpoch: -1 }),
    ),
  );
  const offsets: number[] = [];
  for (const [i, acks] of (['leader', 'quorum', 'all'] as const).entries()) {
    // Idempotent: a retry after a lost answer is recognised, so offsets stay exact.
    const batch = encodeRecordBatch(
      [{ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: Date.now() }],
      {
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        baseSequence: i,
      },
    );
    offsets.push(await driver.produce('orders', 0, [], { acks, batch }));
  }
  t.deepEqual(offsets, [0, 1, 2]);
  const records = await driver.readAll('orders', 0);
  t.deepEqual(records, [
    { offset: 0, value: 'v0' },
    { offset: 1, value: 'v1' },
    { offset: 2, value: 'v2' },
  ]);
  const outOfRange = await retry('fetch past the end', async () => {
    const leader = await driver.leaderAddress('orders', 0);
    if (!leader) return undefined;
    const response = await driver.client.request(leader, Api.Fetch, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1000,
      topics: [{ name: 'orders', partitions: [{ partition: 0, offset: 99, maxBytes: 1000 }] }],
    });
    const p = response.topics[0]?.partitions[0];
    return p?.error === ErrorCode.NotLeader.code ? undefined : p;
  });
  t.is(outOfRange.error, ErrorCode.OffsetOutOfRange.code);
  t.is(outOfRange.logStartOffset, 0);
  t.is(outOfRange.highWatermark, 3);
});
