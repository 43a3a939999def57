/**
 * `waitHealthy` after a restart: the restarted node must be live at the controller (its
 * first heartbeat arrived), not only healthy on its own, so that placement counts it.
 */
import test from 'ava';
import type { LocalCluster } from '../src/local-cluster.ts';
import { until } from '../src/testing.ts';
import { startDrivenCluster } from './driven-cluster.ts';

/** The controller's list of live brokers, from its health report (undefined if none answers). */
async function liveAtController(cluster: LocalCluster): Promise<number[] | undefined> {
  for (const { nodeId } of cluster.nodes) {
    const report = await cluster.health(nodeId);
    const details = report.details as { controllerId?: number; liveBrokers?: number[] };
    if (details?.controllerId === nodeId) return details.liveBrokers;
  }
  return undefined;
}

test('after a restart, waitHealthy returns only once the controller counts the node live again', async (t) => {
  // Regression: waitHealthy returned while the restarted node was known from the replayed
  // metadata but had not yet heartbeated, and a replication-factor-3 topic created then
  // was refused with INVALID_REPLICATION_FACTOR. Slow heartbeats widen that window.
  const exitHooksBefore = process.listenerCount('exit');
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'health',
    nodes: 3,
    settings: { brokerHeartbeatMs: 4_000, brokerSessionMs: 9_000 },
  });
  // One hook kills every node if this process ends (one per node passed Node's limit of
  // ten listeners in CI, which runs several clusters in one process).
  t.true(process.listenerCount('exit') - exitHooksBefore <= 1, 'one exit hook for the nodes');
  t.deepEqual(await liveAtController(cluster), [1, 2, 3]);
  let controllerId = -1;
  for (const { nodeId } of cluster.nodes) {
    const details = (await cluster.health(nodeId)).details as { controllerId?: number };
    if (details?.controllerId === nodeId) controllerId = nodeId;
  }
  const victim = cluster.nodes.find((n) => n.nodeId !== controllerId)!.nodeId;
  await cluster.kill(victim);
  await until('the controller to count the killed node dead', async () => {
    const live = await liveAtController(cluster);
    return live !== undefined && !live.includes(victim);
  });
  await cluster.start(victim);
  await cluster.waitHealthy(180_000);
  const created = await driver.createTopic('after-restart', 1, 3);
  t.is(created?.error, 0, created?.message ?? undefined);
});
