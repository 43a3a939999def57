/** Shared settings and steps of the real-process tests. */
import type { ExecutionContext } from 'ava';
import { checkApplied } from '../../test-support/applied-check.ts';
import { type NodeSettings, ProcessCluster } from '../../test-support/process-cluster.ts';
import type { ProposalLoad } from '../../test-support/proposal-load.ts';

/** Raft timing of the node processes: elections after 1-2 s without a leader. */
export const settings: NodeSettings = { tickMs: 50, electionTicks: 20, heartbeatTicks: 2 };

/** Deadlines are generous: the CI machine has 2 cores and is often heavily loaded. */
export const electionDeadlineMs = 120_000;
export const progressDeadlineMs = 120_000;
/** A whole process test, at most (ava's default is an inactivity timeout of 3 minutes). */
export const testTimeoutMs = 15 * 60_000;

/** The run's seed: RAFT_PROCESS_SEED replays one; otherwise a fresh one, printed. */
export function seedOf(t: ExecutionContext): number {
  const given = process.env.RAFT_PROCESS_SEED;
  const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  t.log(`seed ${seed} (replay: RAFT_PROCESS_SEED=${seed})`);
  return seed;
}

/** Starts a cluster that is killed (and its data removed, unless the test failed) at teardown. */
export async function startCluster(
  t: ExecutionContext,
  options: {
    readonly nodeIds: readonly number[];
    readonly groups: number;
    readonly settings?: NodeSettings;
  },
): Promise<ProcessCluster> {
  const cluster = await ProcessCluster.start({ settings, ...options });
  t.teardown(async () => {
    const keep = !t.passed;
    await cluster.close({ keep });
    if (keep) console.error(`process test failed: node data and logs kept in ${cluster.root}`);
  });
  return cluster;
}

/**
 * The end of a run: one more acknowledged proposal per group, every running node applies
 * up to it, then the applied sequences must agree and hold every acknowledged id.
 */
export async function checkConverged(
  t: ExecutionContext,
  cluster: ProcessCluster,
  load: ProposalLoad,
): Promise<void> {
  await load.stop();
  try {
    const barrier = await load.barrier(progressDeadlineMs);
    await cluster.waitForApplied(barrier, progressDeadlineMs);
  } catch (error) {
    // A lost committed entry often shows as a stall (a replica refuses a leader whose log
    // contradicts what it committed): say what the applied sequences show so far.
    const problems = checkApplied({ ...(await appliedOf(cluster, load)), complete: [] });
    t.fail(
      `${(error as Error).message}\napplied so far: ${problems.slice(0, 20).join('\n') || 'consistent'}`,
    );
    return;
  }
  const problems = checkApplied(await appliedOf(cluster, load));
  t.deepEqual(problems, [], problems.slice(0, 20).join('\n'));
  t.log(`proposals: ${JSON.stringify(load.counts)}`);
}

async function appliedOf(cluster: ProcessCluster, load: ProposalLoad) {
  return {
    groups: cluster.groupIds,
    sequences: await cluster.readApplied(),
    acked: load.acked,
    proposed: load.proposed,
  };
}
