import { readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Api, encodeRecordBatch } from '@tributary/protocol';
import test, { type ExecutionContext } from 'ava';
import type { LocalCluster } from '../src/local-cluster.ts';
import { startDrivenCluster } from './driven-cluster.ts';
import { type ProtocolDriver, retry } from './protocol-driver.ts';

async function metricValue(
  cluster: LocalCluster,
  nodeId: number,
  name: string,
  labels: string,
): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${cluster.node(nodeId).metricsPort}/metrics`);
  const series = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = (await response.text()).split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.split(' ')[1]) : undefined;
}

async function leaderNodeId(
  driver: ProtocolDriver,
  cluster: LocalCluster,
  topic: string,
): Promise<number> {
  const address = await retry('leader', () => driver.leaderAddress(topic, 0));
  const node = cluster.nodes.find((n) => address.endsWith(`:${n.clientPort}`));
  if (!node) throw new Error(`no node at ${address}`);
  return node.nodeId;
}

test('acknowledged records survive leader kills and restarts; a restarted node resumes its replicas', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'faults',
    nodes: 3,
    settings: { checkpointIntervalMs: 200 },
  });
  const created = await driver.createTopic('events', 1, 3);
  t.is(created.error, 0, created.message);
  const producer = await retry('producer id', () =>
    driver.anyBroker((a) =>
      driver.client.request(a, Api.InitProducerId, { producerId: -1, producerEpoch: -1 }, 5000),
    ),
  );
  const acked: { value: string; offset: number }[] = [];
  let sequence = 0;
  const sendOne = async (value: string) => {
    // The same bytes are resent on every retry: the broker recognises the sequence.
    const batch = encodeRecordBatch(
      [{ key: null, value: Buffer.from(value), timestamp: Date.now() }],
      {
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        baseSequence: sequence++,
      },
    );
    const offset = await driver.produce('events', 0, [], { batch });
    acked.push({ value, offset });
  };
  for (let i = 0; i < 30; i++) await sendOne(`a${i}`);
  const firstLeader = await leaderNodeId(driver, cluster, 'events');
  await cluster.kill(firstLeader);
  for (let i = 0; i < 30; i++) await sendOne(`b${i}`);
  await cluster.start(firstLeader);
  const secondLeader = await leaderNodeId(driver, cluster, 'events');
  await cluster.stop(secondLeader); // graceful: hands leadership off first
  for (let i = 0; i < 30; i++) await sendOne(`c${i}`);
  await cluster.start(secondLeader);

  const log = await driver.readAll('events', 0);
  t.deepEqual(
    log.map((r) => r.value),
    acked.map((a) => a.value),
    'every acknowledged record exactly once, in order, and nothing else',
  );
  t.deepEqual(
    log.map((r) => r.offset),
    acked.map((a) => a.offset),
  );
  t.deepEqual(
    log.map((r) => r.offset),
    Array.from({ length: 90 }, (_, i) => i),
  );
  // Both restarted nodes catch their replica up to the end.
  for (const nodeId of [firstLeader, secondLeader]) {
    await retry(`node ${nodeId} catches up`, async () => {
      const end = await metricValue(
        cluster,
        nodeId,
        'tributary_partition_log_end_offset',
        'partition="0",topic="events"',
      );
      return end === 90 ? true : undefined;
    });
  }
  // Replication shows on the peer-link metrics of the node that led first. It was killed and
  // restarted (its counters start again) and now follows: it has received appends from the
  // leader and answered them, but may have sent nothing to the other follower, so the
  // frames are summed over its peers.
  const peers = cluster.nodes.map((n) => n.nodeId).filter((id) => id !== firstLeader);
  const sumOverPeers = async (name: string, direction: string) => {
    let sum = 0;
    for (const peer of peers)
      sum +=
        (await metricValue(
          cluster,
          firstLeader,
          name,
          `direction="${direction}",peer="${peer}"`,
        )) ?? 0;
    return sum;
  };
  const framesSent = await sumOverPeers('tributary_peer_frames_total', 'sent');
  const framesReceived = await sumOverPeers('tributary_peer_frames_total', 'received');
  t.true(framesSent > 0, 'frames sent to its peers');
  t.true(framesReceived > 0, 'frames received from its peers');
  t.true(
    (await sumOverPeers('tributary_peer_messages_total', 'sent')) >= framesSent,
    'a frame carries at least one message',
  );
  const received = await metricValue(
    cluster,
    firstLeader,
    'tributary_raft_messages_total',
    'direction="received"',
  );
  t.true((received ?? 0) > 0);
});

test('a deleted topic is gone from every node and its name can be used again', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'delete',
    nodes: 3,
  });
  t.is((await driver.createTopic('temp', 2, 3)).error, 0);
  await driver.produce('temp', 0, [
    { key: null, value: Buffer.from('old'), timestamp: Date.now() },
  ]);
  const controller = await retry('controller', () => driver.controllerAddress());
  const deleted = await driver.client.request(controller, Api.DeleteTopics, {
    names: ['temp'],
    timeoutMs: 10_000,
  });
  t.is(deleted.topics[0]?.error, 0);
  for (const address of cluster.bootstrap) {
    await retry(`topic gone at ${address}`, async () => {
      const metadata = await driver.client.request(address, Api.Metadata, { topics: ['temp'] });
      return metadata.topics[0]?.error === 3 ? true : undefined;
    });
  }
  t.is((await driver.createTopic('temp', 1, 3)).error, 0);
  const send = await driver.idempotentSender('temp', 0);
  await send([{ key: null, value: Buffer.from('new'), timestamp: Date.now() }]);

  t.deepEqual(await driver.readAll('temp', 0), [{ offset: 0, value: 'new' }]);
});

/** Sends `r0`, `r1`... to `events/0` one at a time, idempotently; `sent` holds each acknowledged. */
async function numberedSender(driver: ProtocolDriver) {
  const send = await driver.idempotentSender('events', 0);
  const sent: string[] = [];
  const sendSome = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const value = `r${sent.length}`;
      await send([{ key: null, value: Buffer.from(value), timestamp: Date.now() }]);
      sent.push(value);
    }
  };
  return { sent, sendSome };
}

/**
 * Waits until `nodeId` leads `events/0` again (leadership returns to the preferred replica),
 * then reads the partition from it: exactly the records `sent`, at offsets 0, 1, 2...; and
 * the node reports itself healthy.
 */
async function expectLeadsAndServes(
  t: ExecutionContext,
  cluster: LocalCluster,
  driver: ProtocolDriver,
  nodeId: number,
  sent: readonly string[],
): Promise<void> {
  await retry(
    `node ${nodeId} leads events/0 again`,
    async () => {
      const leader = await driver.leaderAddress('events', 0);
      return leader?.endsWith(`:${cluster.node(nodeId).clientPort}`) ? true : undefined;
    },
    90_000,
  );
  // A leader just elected reads up to what it has applied: ask until every record is there.
  const records = await retry('every record read back', async () => {
    const read = await driver.readAll('events', 0);
    return read.length >= sent.length ? read : undefined;
  });
  t.deepEqual(
    records.map((r) => r.value),
    sent,
  );
  t.deepEqual(
    records.map((r) => r.offset),
    sent.map((_, i) => i),
  );
  const health = await cluster.health(nodeId);
  t.true(health.healthy, JSON.stringify(health));
}

// A replica whose data is damaged is set aside and rebuilt from the others. Before, it was
// fenced for good (the node had to be repaired by hand), and removing its directory did not
// help: the node's Raft log starts after its snapshot, and the group could not start from
// an empty state machine.
test('a replica with damaged data is set aside, rebuilt from the others, and leads again', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'rebuild',
    nodes: 3,
    // Checkpoints and compaction soon, so the node's Raft log starts after a snapshot.
    settings: { checkpointIntervalMs: 100, raftLogRetainEntries: 0 },
  });
  t.is((await driver.createTopic('events', 1, 3)).error, 0);
  const { sent, sendSome } = await numberedSender(driver);
  await sendSome(40);
  // The preferred replica (leadership returns to it once it is caught up) is the victim.
  const [partition] = await driver.partitions('events');
  const victim = partition!.replicas[0]!;
  const partitions = join(cluster.node(victim).dataDir, 'partitions');
  const directory = readdirSync(partitions).find((name) => name.startsWith('events-0.'))!;
  const groupId = directory.slice('events-0.'.length);
  // The victim's Raft log of the partition compacted behind a snapshot of its own.
  await retry('a local Raft snapshot of the partition', async () =>
    readdirSync(join(cluster.node(victim).dataDir, 'raft', 'snapshots')).some(
      (name) => name.endsWith('.snap') && Number(name.split('-')[0]) === Number(groupId),
    )
      ? true
      : undefined,
  );
  await cluster.stop(victim); // graceful: leadership moves away first
  truncateSync(join(partitions, directory, 'apply-checkpoint'), 10);
  await sendSome(20);
  await cluster.start(victim);

  // The replica is created once the restarted node has caught up with the metadata.
  const log = await retry('the damaged replica set aside', async () => {
    const text = readFileSync(cluster.node(victim).logFile, 'utf8');
    return text.includes('partition replica data damaged: set aside') &&
      text.includes('behind the local snapshot; restoring it')
      ? text
      : undefined;
  });
  t.regex(log, /behind the local snapshot; restoring it/, "rebuilt from the node's snapshot");
  const aside = readdirSync(join(cluster.node(victim).dataDir, 'damaged'));
  t.is(aside.length, 1);
  t.true(aside[0]!.startsWith(directory), `kept for inspection: ${aside[0]}`);
  // Leadership comes back to the rebuilt replica, which then serves every record.
  await expectLeadsAndServes(t, cluster, driver, victim, sent);
  t.is(await metricValue(cluster, victim, 'tributary_damaged_replicas_set_aside_total', ''), 1);
});

// The documented repair of a node whose Raft WAL is corrupt before its fsynced position
// (docs/operations.md): it refuses to start; its WAL segments are moved aside, the
// acknowledged-state file kept; it then starts, re-learns every group from its peers
// without voting until it has, and serves again.
test('a node whose Raft WAL is corrupt refuses to start, and starts again once its WAL is moved aside', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'wal-repair',
    nodes: 3,
    settings: { checkpointIntervalMs: 100 },
  });
  t.is((await driver.createTopic('events', 1, 3)).error, 0);
  const { sent, sendSome } = await numberedSender(driver);
  await sendSome(40);
  const [partition] = await driver.partitions('events');
  const victim = partition!.replicas[0]!;
  await cluster.stop(victim);
  const raft = join(cluster.node(victim).dataDir, 'raft');
  const segment = join(raft, 'wal', readdirSync(join(raft, 'wal')).sort()[0]!);
  // Damage every 256th byte of the first half: record headers included, valid records after.
  const bytes = readFileSync(segment);
  for (let at = 64; at < bytes.length / 2; at += 256) bytes[at] = (bytes[at] as number) ^ 0xff;
  writeFileSync(segment, bytes);
  await sendSome(20);
  await t.throwsAsync(cluster.start(victim), { message: /exited/ }, 'it refuses to start');
  t.regex(
    readFileSync(cluster.node(victim).logFile, 'utf8'),
    /RAFT_WAL_CORRUPT|holds corrupt records of the metadata log/,
    'it says why, and how to repair it',
  );

  renameSync(join(raft, 'wal'), join(raft, 'wal.corrupt'));
  await cluster.start(victim);
  await sendSome(20);
  await expectLeadsAndServes(t, cluster, driver, victim, sent);
});
