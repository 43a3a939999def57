/**
 * Regression for a bug of @tributary/client, seen by the streams runtime (which also defends
 * against it, see `Streams.dropStaleTasks`): when the heartbeat found the member expelled
 * (UNKNOWN_MEMBER_ID), `GroupMembership.loseAll` asked for a rejoin before the application's
 * `onPartitionsLost` had finished, so the next round's `onPartitionsAssigned` could run while
 * the loss was still being handled, and the loss then landed after the new assignment. Fixed
 * in the client: a new assignment waits until the loss before it has been handled.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startTestCluster, type TestCluster, until } from './helpers.ts';

let cluster: TestCluster;

test.before(async () => {
  cluster = await startTestCluster(1);
});

test.after.always(async () => {
  await cluster?.close();
});

const tsxLoader = createRequire(import.meta.url).resolve('tsx');
const membersScript = fileURLToPath(new URL('./group-members.ts', import.meta.url));

/** Group members, asked from a child process (works while this event loop is blocked). */
function groupMembersSync(groupId: string): number {
  const output = execFileSync(
    process.execPath,
    ['--import', tsxLoader, membersScript, cluster.cluster.bootstrap.join(','), groupId],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return Number(output.trim());
}

test('a loss found by the heartbeat is handled before the next assignment', async (t) => {
  t.timeout(300_000);
  await cluster.createTopic('lost-order', 1);
  await cluster.produce('lost-order', [{ key: 'k', value: 'v' }]);
  const events: string[] = [];
  const consumer = cluster.client('lost-order').consumer({
    groupId: 'lost-order-group',
    sessionTimeoutMs: 2_000,
    heartbeatIntervalMs: 100,
    autoOffsetReset: 'earliest',
    rebalanceListener: {
      onPartitionsAssigned: () => {
        events.push('assigned');
      },
      onPartitionsRevoked: () => {
        events.push('revoked');
      },
      onPartitionsLost: async () => {
        events.push('lost: start');
        // A correct client assigns nothing before this returns; give a buggy one time
        // to show itself (until it assigns, or 30 s).
        const assignedBefore = events.filter((e) => e === 'assigned').length;
        await until(
          'a second assignment',
          () => events.filter((e) => e === 'assigned').length > assignedBefore,
          30_000,
        ).catch(() => undefined);
        events.push('lost: end');
      },
    },
  });
  await consumer.connect();
  consumer.subscribe({ topics: ['lost-order'], fromBeginning: true });
  let blocked = false;
  await consumer.run({
    autoCommit: false,
    eachBatch: async () => {
      if (blocked) return;
      blocked = true;
      // Block this event loop (no heartbeats) until the coordinator expels the member.
      const deadline = Date.now() + 120_000;
      while (groupMembersSync('lost-order-group') > 0) {
        if (Date.now() > deadline) throw new Error('the member was never expelled');
      }
    },
  });
  await until('the loss to be handled', () => events.includes('lost: end'), 120_000);
  await consumer.disconnect();
  t.log(events);
  const lostEnd = events.indexOf('lost: end');
  const secondAssigned = events.indexOf('assigned', events.indexOf('lost: start'));
  t.true(secondAssigned === -1 || secondAssigned > lostEnd, events.join(', '));
});
