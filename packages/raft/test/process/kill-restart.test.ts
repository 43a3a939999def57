/**
 * Issue 4's real-process proof: three node processes on 127.0.0.1 host 100 groups; while
 * proposals flow, one node is killed with SIGKILL and restarted, then the leader of every
 * group is killed (node by node, each time the one leading the most groups not yet hit,
 * and restarted); afterwards every acknowledged proposal has been applied on all three,
 * in the same order.
 */
import test from 'ava';
import { SeededPrng } from '../../src/core/prng.ts';
import type { ProcessCluster } from '../../test-support/process-cluster.ts';
import { waitUntil } from '../../test-support/process-cluster.ts';
import { ProposalLoad } from '../../test-support/proposal-load.ts';
import {
  checkConverged,
  electionDeadlineMs,
  progressDeadlineMs,
  seedOf,
  startCluster,
  testTimeoutMs,
} from './helpers.ts';

const groupCount = 100;
const leaderKillRoundsMax = 6;

/** Every running node knows a leader for every group (a restarted node has rejoined). */
async function waitForRejoined(cluster: ProcessCluster): Promise<void> {
  await waitUntil(
    async () => {
      const statuses = await cluster.statuses();
      return (
        statuses.size === cluster.liveIds().length &&
        [...statuses.values()].every((s) =>
          cluster.groupIds.every((g) => (s.groups[g]?.leader ?? 0) !== 0),
        )
      );
    },
    { timeoutMs: electionDeadlineMs, what: 'every node knows every group leader' },
  );
}

async function killAndRestart(
  cluster: ProcessCluster,
  load: ProposalLoad,
  node: number,
  log: (text: string) => void,
): Promise<void> {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  await cluster.kill(node);
  await cluster.waitForLeaders(cluster.groupIds, electionDeadlineMs);
  const elected = seconds();
  await load.waitForAcked(load.ackedCount + 100, progressDeadlineMs);
  await cluster.restart(node);
  const restarted = seconds();
  await waitForRejoined(cluster);
  log(
    `  node ${node}: new leaders after ${elected} s, restarted after ${restarted} s, rejoined after ${seconds()} s`,
  );
}

test('SIGKILL of a node, then of every group leader: acknowledged proposals are applied everywhere, in one order', async (t) => {
  t.timeout(testTimeoutMs);
  const prng = new SeededPrng(seedOf(t));
  const cluster = await startCluster(t, { nodeIds: [1, 2, 3], groups: groupCount });
  await cluster.waitForLeaders(cluster.groupIds, electionDeadlineMs);
  const load = new ProposalLoad(cluster, {
    groups: cluster.groupIds,
    idsPerRequest: 2,
    entryBytes: 64,
    pauseMs: 500,
    requestTimeoutMs: 30_000,
  });
  load.start();
  await load.waitForAcked(200, progressDeadlineMs);

  const first = 1 + prng.nextInt(3);
  t.log(`killing node ${first} (SIGKILL) and restarting it`);
  await killAndRestart(cluster, load, first, (text) => t.log(text));

  const hit = new Set<number>();
  for (let round = 0; round < leaderKillRoundsMax && hit.size < groupCount; round++) {
    const leaders = await cluster.waitForLeaders(cluster.groupIds, electionDeadlineMs);
    const uncovered = new Map<number, number[]>();
    for (const [group, leader] of leaders) {
      if (hit.has(group)) continue;
      uncovered.set(leader, [...(uncovered.get(leader) ?? []), group]);
    }
    const [victim, groups] = [...uncovered].sort((a, b) => b[1].length - a[1].length)[0] as [
      number,
      number[],
    ];
    for (const group of groups) hit.add(group);
    t.log(`round ${round}: killing node ${victim}, leader of ${groups.length} groups not yet hit`);
    await killAndRestart(cluster, load, victim, (text) => t.log(text));
  }
  t.is(hit.size, groupCount, 'every group lost its leader at least once');

  await checkConverged(t, cluster, load);
  for (const status of (await cluster.statuses()).values()) t.is(status.hostFailure, undefined);
});
