/**
 * Rebalance time of a consumer group through @tributary/client: `--members` consumers
 * (cooperative-sticky) share a topic of `--partitions` partitions; once the group is stable
 * one member leaves (`disconnect()`: it commits, then sends LeaveGroup), and the time until
 * every partition is owned again is measured, both from the `disconnect()` call and from the
 * moment LeaveGroup is sent, with how many partitions changed owner. Repeated `--rounds`
 * times (the member joins back between rounds).
 *
 *   npx tsx tools/bench/src/client-rebalance.ts [--members 10] [--partitions 60] [--rounds 5]
 *     [--heartbeat-ms 250] [--assignor cooperative-sticky|range] [--bootstrap h:p,...]
 */

import {
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
  bootstrap: { type: 'string' },
});
const memberCount = numberArg(values, 'members');
const partitions = numberArg(values, 'partitions');
const topic = `bench-rebalance-${Date.now()}`;
const groupId = `bench-rebalance-group-${Date.now()}`;

/** Who owns what, from each member's latest 'assigned' event. */
const owned = new Map<string, Set<number>>();
/** When each member last sent LeaveGroup (ms since the epoch). */
const leaveSentAt = new Map<string, number>();

function ownedCount(): number {
  const all = new Set<number>();
  for (const set of owned.values()) for (const p of set) all.add(p);
  return all.size;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function main(): Promise<void> {
  const env = await benchCluster({
    nodes: numberArg(values, 'nodes'),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
  });
  const members = new Map<string, Consumer>();
  const start = async (name: string) => {
    const client = env.client(name);
    client.on('request', (event) => {
      if (event.api === 'LeaveGroup') leaveSentAt.set(name, Date.now() - event.durationMs);
    });
    client.on('rebalance', (event: RebalanceEvent) => {
      if (event.phase === 'assigned')
        owned.set(name, new Set((event.assignment ?? []).map((tp) => tp.partition)));
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
    const times: number[] = [];
    const fromLeave: number[] = [];
    for (let round = 0; round < numberArg(values, 'rounds'); round += 1) {
      const leaver = `m${round % memberCount}`;
      const before = new Map([...owned].map(([name, set]) => [name, new Set(set)]));
      const started = Date.now();
      await members.get(leaver)?.disconnect();
      owned.delete(leaver);
      await until(() => ownedCount() === partitions, 60_000);
      const ms = Date.now() - started;
      const sinceLeave = Date.now() - (leaveSentAt.get(leaver) ?? started);
      times.push(ms);
      fromLeave.push(sinceLeave);
      let moved = 0;
      for (const [name, set] of owned)
        for (const p of set) if (!before.get(name)?.has(p)) moved += 1;
      console.log(
        `round ${round + 1}: ${leaver} left; all ${partitions} partitions owned again ${ms} ms after disconnect(), ` +
          `${sinceLeave} ms after LeaveGroup was sent; ${moved} partitions moved`,
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
    await Promise.all([...members.values()].map((c) => c.disconnect()));
    await env.close();
  }
}

await main();
