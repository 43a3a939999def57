/**
 * Internal topics are created through a cluster that may be electing a controller: a
 * worker starting then once died of NOT_CONTROLLER (seen in the distributed test). With two
 * of three nodes down the controller has no quorum; `ensureTopic` must wait, and finish
 * once the nodes are back, instead of failing at the first retriable error.
 */

import { Client } from '@tributary/client';
import test from 'ava';
import { ensureTopic, partitionCount } from '../../src/internal.ts';
import { startTestCluster, until } from './helpers.ts';

test('ensureTopic waits out a cluster without a controller quorum', async (t) => {
  t.timeout(600_000);
  const cluster = await startTestCluster(3);
  try {
    await Promise.all([cluster.cluster.stop(2), cluster.cluster.stop(3)]);
    const client = cluster.client('ensure-topic');
    const admin = client.admin();
    await admin.connect();
    let settled: string | undefined;
    const creating = ensureTopic(admin, {
      topic: 'made-late',
      partitions: 2,
      compacted: true,
    }).then(
      () => (settled = 'created'),
      (error: unknown) => (settled = `failed: ${String(error)}`),
    );
    // Long enough for the client's own retries to give up at least once.
    await until('the first attempts to fail', () => settled !== undefined, 25_000).catch(() => {});
    t.is(settled, undefined, 'still waiting while the controller has no quorum');
    await Promise.all([cluster.cluster.start(2), cluster.cluster.start(3)]);
    await creating;
    t.is(settled, 'created');
    t.is(await partitionCount(admin, 'made-late'), 2);
    await admin.disconnect();
  } finally {
    await cluster.close();
  }
});

test('workers ensuring one topic at once all see it, whichever broker answers their metadata', async (t) => {
  // Regression: the second worker of the distributed test once read the offsets topic as
  // missing right after the first created it (its broker had not applied the creation yet)
  // and exited. ensureTopic now resolves only once metadata shows the topic.
  t.timeout(300_000);
  const cluster = await startTestCluster(3);
  try {
    const admins = await Promise.all(
      cluster.brokers.map(async (broker, i) => {
        const admin = new Client({ clientId: `ensure-${i}`, brokers: [broker] }).admin();
        await admin.connect();
        return admin;
      }),
    );
    for (const round of [1, 2, 3]) {
      const topic = `raced-${round}`;
      const counts = await Promise.all(
        admins.map((admin) => ensureTopic(admin, { topic, partitions: 3, compacted: true })),
      );
      t.deepEqual(counts, [3, 3, 3], `round ${round}`);
    }
    await Promise.all(admins.map((admin) => admin.disconnect()));
  } finally {
    await cluster.close();
  }
});
