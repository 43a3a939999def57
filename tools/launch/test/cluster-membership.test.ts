import { readFileSync } from 'node:fs';
import { Api } from '@tributary/protocol';
import test from 'ava';
import { startDrivenCluster } from './driven-cluster.ts';
import { retry } from './protocol-driver.ts';

const record = (value: string) => ({ key: null, value: Buffer.from(value), timestamp: Date.now() });

test('a node added at run time joins, takes over a replica by reassignment, and the leaving node drops it', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'membership',
    nodes: 3,
    settings: { metadataSnapshotEntries: 10, raftLogRetainEntries: 0, checkpointIntervalMs: 200 },
  });
  t.is((await driver.createTopic('moving', 1, 3)).error, 0);
  // Idempotent: under load an answer can come too late and the send is retried.
  const send = await driver.idempotentSender('moving', 0);
  for (let i = 0; i < 20; i++) await send([record(`before-${i}`)]);

  const added = await cluster.addNode();
  await cluster.start(added.nodeId);
  await cluster.waitHealthy(180_000);
  // Registered through the controller; each broker learns of it as it applies the metadata
  // log, so the one answering may be a moment behind.
  await retry(
    'the new broker is registered',
    async () => {
      const metadata = await driver.anyBroker((a) =>
        driver.client.request(a, Api.Metadata, { topics: null }),
      );
      return metadata.brokers.some((b) => b.nodeId === 4) ? true : undefined;
    },
    60_000,
  );

  // The metadata log was compacted long before node 4 came: it learned it from a snapshot.
  t.regex(readFileSync(cluster.node(4).logFile, 'utf8'), /metadata restored from snapshot/);

  const controller = await retry('controller', () => driver.controllerAddress());
  const moved = await driver.client.request(controller, Api.AlterPartitionReassignments, {
    topics: [{ name: 'moving', partitions: [{ partition: 0, replicas: [1, 2, 4] }] }],
    timeoutMs: 10_000,
  });
  t.is(moved.results[0]?.error, 0, moved.results[0]?.message);
  await retry(
    'reassignment completes',
    async () => {
      const p = (await driver.partitions('moving'))[0];
      return p && [...p.replicas].sort().join() === '1,2,4' && p.learners.length === 0
        ? true
        : undefined;
    },
    90_000,
  );
  for (let i = 0; i < 20; i++) await send([record(`after-${i}`)]);

  // The partition's Raft log was compacted before node 4 joined: it installed a snapshot
  // and copied the records from the leader.
  t.regex(
    readFileSync(cluster.node(4).logFile, 'utf8'),
    /partition snapshot: copying records from the leader/,
  );

  // Node 4 now holds every record: with node 1 stopped, nodes 2 and 4 are a majority.
  await cluster.stop(1);
  driver.setBootstrap(cluster.bootstrap.filter((_, i) => i !== 0));
  const values = (await driver.readAll('moving', 0)).map((r) => r.value);
  t.deepEqual(values, [
    ...Array.from({ length: 20 }, (_, i) => `before-${i}`),
    ...Array.from({ length: 20 }, (_, i) => `after-${i}`),
  ]);
  // Node 3 left the partition and dropped its replica.
  await retry('node 3 drops its replica', async () => {
    const text = await (
      await fetch(`http://127.0.0.1:${cluster.node(3).metricsPort}/metrics`)
    ).text();
    return text.includes('topic="moving"') ? undefined : true;
  });
});

test('leadership returns to the preferred replica once it is back (ElectLeaders)', async (t) => {
  // The periodic balancer is off: only the ElectLeaders request (watched until the
  // restarted replica has caught up) can move leadership back.
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'preferred',
    nodes: 3,
    settings: { leaderBalanceIntervalMs: 0 },
  });
  t.is((await driver.createTopic('pref', 1, 3)).error, 0);
  await driver.produce('pref', 0, [record('x')]);
  const partition = async () => (await driver.partitions('pref'))[0];
  const preferred = (await partition())?.replicas[0] as number;
  await cluster.stop(preferred);
  driver.setBootstrap(cluster.bootstrap.filter((_, i) => i + 1 !== preferred));
  await driver.produce('pref', 0, [record('y')]);
  await retry('another leader', async () =>
    ((await partition())?.leader ?? preferred) !== preferred ? true : undefined,
  );
  await cluster.start(preferred);
  driver.setBootstrap(cluster.bootstrap);
  const controller = await retry('controller', () => driver.controllerAddress());
  const elected = await driver.client.request(controller, Api.ElectLeaders, {
    topics: [{ name: 'pref', partitions: [0] }],
    timeoutMs: 10_000,
  });
  t.is(elected.results[0]?.error, 0);
  await retry(
    'preferred leads again',
    async () => ((await partition())?.leader === preferred ? true : undefined),
    60_000,
  );
  t.deepEqual(
    (await driver.readAll('pref', 0)).map((r) => r.value),
    ['x', 'y'],
  );
});

test('a new topic is led by its preferred replicas without the periodic balancer', async (t) => {
  // With the periodic pass off, only the move made right after creation can put every
  // partition on its first replica (the first elections pick leaders by timer races).
  const { driver } = await startDrivenCluster(t, {
    name: 'preferred-new',
    nodes: 3,
    settings: { leaderBalanceIntervalMs: 0 },
  });
  t.is((await driver.createTopic('spread', 6, 3)).error, 0);
  const placed = await retry(
    'every partition led by its preferred replica',
    async () => {
      const list = await driver.partitions('spread');
      const settled = list.length === 6 && list.every((p) => p.leader === p.replicas[0]);
      return settled ? list : undefined;
    },
    60_000,
  );
  const leadersPerNode = new Map<number, number>();
  for (const p of placed) leadersPerNode.set(p.leader, (leadersPerNode.get(p.leader) ?? 0) + 1);
  t.deepEqual([...leadersPerNode.values()], [2, 2, 2], 'placement spreads preferred leaders');
});

test('after a reassignment reorders the replicas, leadership moves to the new first replica', async (t) => {
  // The periodic balancer is off: only the move after the reassignment completes can do it.
  const { driver } = await startDrivenCluster(t, {
    name: 'reorder',
    nodes: 3,
    settings: { leaderBalanceIntervalMs: 0 },
  });
  t.is((await driver.createTopic('reorder', 1, 3)).error, 0);
  const partition = async () => (await driver.partitions('reorder'))[0];
  const first = await retry(
    'led by its preferred replica',
    async () => {
      const p = await partition();
      return p && p.leader === p.replicas[0] ? p : undefined;
    },
    60_000,
  );
  const [a, b, c] = first.replicas as [number, number, number];
  const controller = await retry('controller', () => driver.controllerAddress());
  const moved = await driver.client.request(controller, Api.AlterPartitionReassignments, {
    topics: [{ name: 'reorder', partitions: [{ partition: 0, replicas: [b, c, a] }] }],
    timeoutMs: 10_000,
  });
  t.is(moved.results[0]?.error, 0, moved.results[0]?.message);
  await retry(
    'the new first replica leads',
    async () => {
      const p = await partition();
      return p?.replicas[0] === b && p.leader === b ? true : undefined;
    },
    60_000,
  );
  t.pass();
});
