/**
 * Reproduces a broker finding of the jepsen-style disk faults (see docs/jepsen.md, "Findings"):
 * on a node restarted with ONE damaged partition replica (here: its apply checkpoint cut
 * short), replica reconciliation throws on that replica and never creates the replicas that
 * come after it in the metadata, although their data is intact; and /health still says
 * healthy (the damaged replica never joined the set health looks at).
 *
 *   npx tsx jepsen-style-tests/test/repro/damaged-replica-blocks-others.ts
 *
 * Prints what node 2 hosts after the restart and its health, and exits 1 while the finding
 * holds. Fixed in the broker's ReplicaManager (regression test
 * packages/broker/test/node/replica-manager.test.ts). Since the damaged replica's data is
 * set aside and rebuilt from the other replicas (tools/launch/test/cluster-faults.test.ts),
 * it starts too and health is good: the script exits 0 once all three replicas start.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, silentLogger } from '@tributary/client';
import { LocalCluster } from '@tributary/launch';

const dataDir = mkdtempSync(join(tmpdir(), 'repro-damaged-replica-'));
const cluster = await LocalCluster.create({
  nodes: 3,
  dataDir,
  settings: { checkpointIntervalMs: 200 },
});
const client = new Client({ brokers: cluster.bootstrap, logger: silentLogger });
const admin = client.admin();
let exitCode = 1;
try {
  await cluster.startAll();
  await cluster.waitHealthy(180_000);
  await admin.connect();
  await admin.createTopics({
    topics: ['a', 'b', 'c'].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 3 })),
  });
  const producer = client.producer();
  await producer.connect();
  for (const topic of ['a', 'b', 'c'])
    await producer.send({ topic, messages: [{ value: 'x' }], acks: 'all' });
  await producer.disconnect();
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let a checkpoint be written
  await cluster.stop(2);
  const partitions = join(cluster.node(2).dataDir, 'partitions');
  const damaged = readdirSync(partitions).find((name) => name.startsWith('a-0.'))!;
  truncateSync(join(partitions, damaged, 'apply-checkpoint'), 10);
  console.log(`node 2: cut ${damaged}/apply-checkpoint to 10 bytes; restarting`);
  await cluster.start(2);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const started = readFileSync(cluster.node(2).logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('partition replica started'))
    .map((line) => JSON.parse(line) as { time: string; topic: string });
  const health = await cluster.health(2);
  const afterRestart = started.filter((s) => s.topic !== '__consumer_offsets').slice(3);
  console.log(
    `node 2 replicas started after the restart: ${afterRestart.map((s) => s.topic).join(', ') || 'none'}`,
  );
  console.log(`node 2 health: ${JSON.stringify(health)}`);
  const intactStarted = ['b', 'c'].every((t) => afterRestart.some((s) => s.topic === t));
  const damagedRebuilt =
    afterRestart.some((s) => s.topic === 'a') &&
    readFileSync(cluster.node(2).logFile, 'utf8').includes('set aside');
  exitCode = intactStarted && damagedRebuilt && health.healthy ? 0 : 1;
  console.log(
    exitCode === 0
      ? 'OK: intact replicas started; the damaged one was set aside and rebuilt'
      : `FINDING: intact replicas started: ${intactStarted}; damaged one rebuilt: ${damagedRebuilt}; healthy: ${health.healthy}`,
  );
} finally {
  await admin.disconnect().catch(() => {});
  await cluster.close({ graceful: false });
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
