/**
 * Regression (found by the jepsen-style majority-loss run, seed 5): a retried acks=all batch
 * of an idempotent producer whose first attempt timed out (a replica was down) was answered as
 * a duplicate once a quorum had it, so the producer saw acks=all succeed for a record that was
 * not on every replica; losing the other replicas then lost it. A duplicate must satisfy the
 * retry's own acks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch, initChecksums } from '@tributary/protocol';
import { type Message, Role } from '@tributary/raft';
import { RaftHost, RaftWal } from '@tributary/raft/host';
import { PartitionLog } from '@tributary/storage';
import test from 'ava';
import { hostedReplica } from './fixtures.ts';

const groupId = 7;
const voters = [1, 2, 3];
/** Node 3 is down for the whole test: nothing reaches it. */
const down = 3;

async function startNode(nodeId: number, base: string, hosts: Map<number, RaftHost>) {
  const wal = await RaftWal.open({ dir: join(base, `n${nodeId}`, 'raft') });
  const host = new RaftHost({
    nodeId,
    wal,
    transport: {
      send: (messages: readonly Message[]) => {
        for (const m of messages) {
          if (m.to === down) continue;
          setImmediate(() => hosts.get(m.to)?.receive([m]));
        }
      },
    },
    logger: { warn: () => {}, error: () => {}, debug: () => {} },
    tickMs: 20,
    electionTicks: 10,
    heartbeatTicks: 2,
    seed: nodeId,
  });
  hosts.set(nodeId, host);
  const directory = join(base, `n${nodeId}`, 'partition');
  const log = await PartitionLog.open({ directory: join(directory, 'log') });
  const { replica, group } = hostedReplica(host, { groupId, nodeId, directory, log, voters });
  return { host, replica, group };
}

test('a retried acks=all batch is not acknowledged while a replica lacks it', async (t) => {
  await initChecksums();
  const base = mkdtempSync(join(tmpdir(), 'replica-duplicate-acks-'));
  const hosts = new Map<number, RaftHost>();
  const nodes = [await startNode(1, base, hosts), await startNode(2, base, hosts)];
  t.teardown(async () => {
    for (const n of nodes) {
      await n.replica.close();
      await n.host.close();
    }
    rmSync(base, { recursive: true, force: true });
  });
  const deadline = Date.now() + 60_000;
  let leaderNode: (typeof nodes)[number] | undefined;
  while (!leaderNode && Date.now() < deadline) {
    leaderNode = nodes.find((n) => n.group.status().role === Role.Leader);
    if (!leaderNode) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!leaderNode) return t.fail('no leader among nodes 1 and 2 (a quorum of three)');
  const leader = leaderNode.replica;
  const batch = encodeRecordBatch([{ key: null, value: Buffer.from('v'), timestamp: 1 }], {
    producerId: 1000,
    producerEpoch: 0,
    baseSequence: 0,
  });
  // The leader must have applied its term's first entry before it sequences.
  const produce = async (acks: 'all' | 'quorum', timeoutMs: number) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await leader.produce([Buffer.from(batch)], acks, timeoutMs);
      } catch (error) {
        if (!/still applying/.test((error as Error).message) || attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  await t.throwsAsync(produce('all', 500), { message: /every replica|not reached/ });
  // The producer retries the same bytes: a duplicate now held by a quorum, not by node 3.
  await t.throwsAsync(produce('all', 500), { message: /every replica|not reached/ });
  // With acks=quorum the same retry is rightly answered with the first attempt's offset.
  t.like(await produce('quorum', 5000), { baseOffset: 0 });
});
