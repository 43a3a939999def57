/**
 * Rebalance time of a consumer group through @tributary/client: `--members` consumers
 * (cooperative-sticky) share a topic of `--partitions` partitions; once the group is stable
 * one member leaves (`disconnect()`: it commits, then sends LeaveGroup), and the time until
 * every partition is owned again is measured, both from the `disconnect()` call and from the
 * moment LeaveGroup is sent, with how many partitions changed owner. Repeated `--rounds`
 * times (the member joins back between rounds).
 *
 * `--move-coordinator` also moves the group's coordinator in every round, the way the
 * brokers' leader balancer does: as the member leaves, the group's `__consumer_offsets`
 * partition gets its replica list rotated before the round (AlterPartitionReassignments,
 * same replicas) and a preferred-leader election (ElectLeaders) as the member leaves, so its
 * leadership, and the coordinator with it, moves to another node while the round runs
 * (issue 7). Such a round is over when the new coordinator reports the group Stable with the
 * members left and every partition is owned; its time is that of the last assignment applied.
 *
 *   npx tsx tools/bench/src/client-rebalance.ts [--members 10] [--partitions 60] [--rounds 5]
 *     [--heartbeat-ms 250] [--assignor cooperative-sticky|range]
 *     [--move-coordinator [--move-margin-ms 800]]
 *     [--bootstrap h:p,...]
 */

import { groups } from '@tributary/broker/internal';
import {
  type Admin,
  type Consumer,
  cooperativeStickyAssignor,
  type RebalanceEvent,
  rangeAssignor,
} from '@tributary/client';
import { benchArgs, numberArg } from './args.ts';
import { benchCluster, createTopic } from './client-bench-cluster.ts';

const values = benchArgs({
  members: { type: 'string', default: '10' },
  partitions: { type: 'string', default: '60' },
  rounds: { type: 'string', default: '5' },
  'heartbeat-ms': { type: 'string', default: '250' },
  assignor: { type: 'string', default: 'cooperative-sticky' },
  nodes: { type: 'string', default: '3' },
  'move-coordinator': { type: 'boolean', default: false },
  'move-margin-ms': { type: 'string', default: '800' },
  bootstrap: { type: 'string' },
});
const offsetsTopic = '__consumer_offsets';
const memberCount = numberArg(values, 'members');
const partitions = numberArg(values, 'partitions');
const topic = `bench-rebalance-${Date.now()}`;
const groupId = `bench-rebalance-group-${Date.now()}`;

/** Who owns what, from each member's latest 'assigned' event. */
const owned = new Map<string, Set<number>>();
/** When each member last sent LeaveGroup (ms since the epoch). */
const leaveSentAt = new Map<string, number>();
/** When any member last applied an assignment. */
let lastAssignedAtMs = 0;
/** Rebalance attempts that failed (the member retried), e.g. on a coordinator move. */
let failedRebalances = 0;

function ownedCount(): number {
  const all = new Set<number>();
  for (const set of owned.values()) for (const p of set) all.add(p);
  return all.size;
}

/**
 * Polls `condition` until it holds: every 2 ms by default, fine enough to time a round by;
 * conditions that ask the cluster poll less often.
 */
async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  pollMs = 2,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The group's `__consumer_offsets` partition: its leader is the group's coordinator. */
async function coordinatorPartition(admin: Admin) {
  const {
    topics: [topic],
  } = await admin.fetchTopicMetadata({ topics: [offsetsTopic] });
  if (topic === undefined) throw new Error(`${offsetsTopic} does not exist`);
  const partitionId = groups.offsetsPartitionFor(groupId, topic.partitions.length);
  const partition = topic.partitions.find((p) => p.partitionId === partitionId);
  if (partition === undefined) throw new Error(`${offsetsTopic} has no partition ${partitionId}`);
  return partition;
}

interface CoordinatorMove {
  readonly partitionId: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Prepares a coordinator move: the offsets partition's replicas rotated (same replicas, the
 * next one first, so it becomes the preferred replica). Leadership stays put until
 * `electCoordinator`, so the move itself can be timed into a round.
 */
async function prepareCoordinatorMove(admin: Admin): Promise<CoordinatorMove> {
  const partition = await coordinatorPartition(admin);
  const replicas = [...partition.replicas];
  const from = partition.leader;
  do replicas.push(replicas.shift()!);
  while (replicas[0] === from && replicas.length > 1);
  const to = replicas[0]!;
  const partitionId = partition.partitionId;
  await admin.alterPartitionReassignments({
    topics: [{ topic: offsetsTopic, partitions: [{ partition: partitionId, replicas }] }],
  });
  return { partitionId, from, to };
}

/** Elects the preferred replica and resolves, with the time, once the metadata shows it leads. */
async function electCoordinator(admin: Admin, move: CoordinatorMove): Promise<number> {
  await admin.electLeaders({ topics: [{ topic: offsetsTopic, partitions: [move.partitionId] }] });
  const deadline = Date.now() + 30_000;
  while ((await coordinatorPartition(admin)).leader !== move.to) {
    if (Date.now() > deadline) throw new Error(`the coordinator did not move to node ${move.to}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now();
}

/** The group is Stable with `count` members (as its coordinator says). */
async function groupStable(admin: Admin, count: number): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  return group !== undefined && group.state === 'Stable' && group.members.length === count;
}

async function main(): Promise<void> {
  const env = await benchCluster({
    nodes: numberArg(values, 'nodes'),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
  });
  const members = new Map<string, Consumer>();
  const admin = env.client('bench-mover').admin();
  const start = async (name: string) => {
    const client = env.client(name);
    client.on('request', (event) => {
      if (event.api === 'LeaveGroup') leaveSentAt.set(name, Date.now() - event.durationMs);
    });
    client.on('error', (event) => {
      if (event.source === 'group') failedRebalances += 1;
    });
    client.on('rebalance', (event: RebalanceEvent) => {
      if (event.phase === 'assigned') {
        owned.set(name, new Set((event.assignment ?? []).map((tp) => tp.partition)));
        lastAssignedAtMs = Date.now();
      }
    });
    const consumer = client.consumer({
      groupId,
      heartbeatIntervalMs: numberArg(values, 'heartbeat-ms'),
      sessionTimeoutMs: 10_000,
      partitionAssigners: [values.assignor === 'range' ? rangeAssignor : cooperativeStickyAssignor],
    });
    await consumer.connect();
    consumer.subscribe({ topic });
    await consumer.run({ eachBatch: async () => {} });
    members.set(name, consumer);
  };
  try {
    await createTopic(
      env.client('bench-admin'),
      topic,
      partitions,
      Math.min(3, numberArg(values, 'nodes')),
    );
    await Promise.all(Array.from({ length: memberCount }, (_, i) => start(`m${i}`)));
    const balanced = () =>
      ownedCount() === partitions &&
      [...owned.values()].every((s) => s.size === partitions / memberCount);
    await until(balanced, 120_000);
    const moving = values['move-coordinator'] === true;
    /** How long after the election the member leaves (see the round loop). */
    let leaveDelayMs = 0;
    const leaveMarginMs = numberArg(values, 'move-margin-ms');
    await admin.connect();
    const times: number[] = [];
    const fromLeave: number[] = [];
    for (let round = 0; round < numberArg(values, 'rounds'); round += 1) {
      const leaver = `m${round % memberCount}`;
      const before = new Map([...owned].map(([name, set]) => [name, new Set(set)]));
      const prepared = moving ? await prepareCoordinatorMove(admin) : undefined;
      const failedBefore = failedRebalances;
      const electedAtMs = Date.now();
      const elected = prepared === undefined ? undefined : electCoordinator(admin, prepared);
      // Leadership moves some seconds after the election is asked for (the metadata shows it
      // later still): the member leaves that long after it, as measured in the round before,
      // less --move-margin-ms, so the move lands inside the leave's round.
      if (moving) await new Promise((resolve) => setTimeout(resolve, leaveDelayMs));
      const started = Date.now();
      await members.get(leaver)?.disconnect();
      owned.delete(leaver);
      const movedAtMs = await elected;
      if (movedAtMs !== undefined)
        leaveDelayMs = Math.max(0, movedAtMs - electedAtMs - leaveMarginMs);
      await until(() => ownedCount() === partitions, 60_000);
      if (moving) {
        // Settled: the new coordinator holds a Stable group of the members left, all owned.
        await until(() => groupStable(admin, memberCount - 1), 60_000, 20);
        await until(() => ownedCount() === partitions, 60_000);
      }
      const ms = (moving ? lastAssignedAtMs : Date.now()) - started;
      const sinceLeave = started + ms - (leaveSentAt.get(leaver) ?? started);
      times.push(ms);
      fromLeave.push(sinceLeave);
      let movedPartitions = 0;
      for (const [name, set] of owned)
        for (const p of set) if (!before.get(name)?.has(p)) movedPartitions += 1;
      const coordinatorNote =
        prepared === undefined || movedAtMs === undefined
          ? ''
          : `; coordinator moved node ${prepared.from} -> ${prepared.to}, seen leading ${movedAtMs - started} ms after disconnect(); ` +
            `${failedRebalances - failedBefore} failed rebalance attempts`;
      console.log(
        `round ${round + 1}: ${leaver} left; all ${partitions} partitions owned again ${ms} ms after disconnect(), ` +
          `${sinceLeave} ms after LeaveGroup was sent; ${movedPartitions} partitions moved${coordinatorNote}`,
      );
      await start(leaver); // back to the full group for the next round
      await until(balanced, 120_000);
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    console.log(
      `rebalance after a leave (${memberCount} members, ${partitions} partitions, ${values.assignor}, heartbeat ${values['heartbeat-ms']} ms): ` +
        `median ${median(times)} ms (max ${Math.max(...times)}) from disconnect(), ` +
        `median ${median(fromLeave)} ms (max ${Math.max(...fromLeave)}) from LeaveGroup`,
    );
  } finally {
    await admin.disconnect();
    await Promise.all([...members.values()].map((c) => c.disconnect()));
    await env.close();
  }
}

await main();
