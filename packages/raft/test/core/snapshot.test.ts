/** Snapshots and log compaction (Raft §7), InstallSnapshot in chunks. */
import test from 'ava';
import { ConfigChangeType } from '../../src/core/config-change.ts';
import { RaftError } from '../../src/core/errors.ts';
import { MemoryLog } from '../../src/core/memory-log.ts';
import { SeededPrng } from '../../src/core/prng.ts';
import { RawNode } from '../../src/core/raw-node.ts';
import { type InstallSnapshotRequest, MessageType, type Snapshot } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';
import { drain, group, makeNode, ofType, recordingLogger } from './helpers.ts';

test('§7 compact returns the snapshot to persist, with the term and membership as of its index', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], spares: [4] });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.stabilize();
  const before = cluster.node(1).raft.log.applied;
  t.true(
    cluster.node(1).proposeConfigChange({ steps: [{ type: ConfigChangeType.AddLearner, node: 4 }] })
      .ok,
  );
  cluster.stabilize();
  const node = cluster.node(1);
  const early = node.compact(before, new Uint8Array([1]));
  t.false(early instanceof RaftError);
  if (early instanceof RaftError) return;
  t.deepEqual(early.metadata, {
    index: before,
    term: 1,
    config: { voters: [1, 2, 3], outgoingVoters: [], learners: [] },
  });
  const late = node.compact(node.raft.log.applied, new Uint8Array([2]));
  if (late instanceof RaftError) return t.fail(late.message);
  t.deepEqual(late.metadata.config.learners, [4]);
  cluster.host(1).log.compact(late);
  t.is(node.status().firstIndex, late.metadata.index + 1);
});

test('compact refuses an index not applied yet, or one already compacted', (t) => {
  const cluster = new Cluster({ voters: [1] });
  cluster.campaign(1);
  cluster.propose(1, 3);
  const node = cluster.node(1);
  const applied = node.raft.log.applied;
  const ahead = node.compact(applied + 1, new Uint8Array());
  t.true(ahead instanceof RaftError && ahead.code === 'snapshot-not-applied');
  t.true(cluster.host(1).compact());
  const again = node.compact(applied, new Uint8Array());
  t.true(again instanceof RaftError && again.code === 'snapshot-out-of-date');
});

test('§7 a follower behind the compacted log receives the snapshot in chunks of snapshotChunkBytes', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { snapshotChunkBytes: 10, inflightAppendsMax: 64 },
  });
  cluster.campaign(1);
  cluster.isolate(3);
  for (let i = 0; i < 5; i++) cluster.propose(1, 3);
  cluster.stabilize();
  t.true(cluster.host(1).compact());
  const image = cluster.host(1).log.snapshot() as Snapshot;
  cluster.heal();
  let chunks: InstallSnapshotRequest[] = [];
  for (let i = 0; i < 30 && chunks.length === 0; i++) {
    cluster.tick(1);
    chunks = ofType(cluster.inFlight, MessageType.InstallSnapshot);
    cluster.deliver((m) => m.type !== MessageType.InstallSnapshot);
  }
  const size = image.data.byteLength;
  t.is(chunks.length, Math.ceil(size / 10));
  t.deepEqual(
    chunks.map((c) => c.offset),
    chunks.map((_, i) => i * 10),
  );
  t.true(chunks.every((c, i) => c.done === (i === chunks.length - 1)));
  cluster.stabilize();
  t.deepEqual(cluster.host(3).appliedIds, cluster.host(1).appliedIds);
  t.is(cluster.node(3).raft.counters.snapshotsRestored, 1);
});

function follower(): { node: RawNode; log: MemoryLog } {
  const log = new MemoryLog({ config: { voters: [1, 2, 3], outgoingVoters: [], learners: [] } });
  const node = new RawNode({
    id: 2,
    group,
    log,
    prng: new SeededPrng(2),
    logger: recordingLogger(),
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: false,
    checkQuorum: false,
    snapshotReceiveBytesMax: 100,
  });
  return { node, log };
}

function chunksOf(image: Uint8Array, size: number, index = 50): InstallSnapshotRequest[] {
  const metadata = {
    index,
    term: 3,
    config: { voters: [1, 2, 3], outgoingVoters: [], learners: [] },
  };
  const out: InstallSnapshotRequest[] = [];
  for (let offset = 0; offset < image.byteLength; offset += size) {
    const end = Math.min(image.byteLength, offset + size);
    const done = end === image.byteLength;
    out.push({
      type: MessageType.InstallSnapshot,
      group,
      from: 1,
      to: 2,
      term: 3,
      metadata,
      offset,
      data: image.subarray(offset, end),
      done,
    });
  }
  return out;
}

test('a follower reassembles reordered and duplicated chunks and installs the image once', (t) => {
  const { node, log } = follower();
  const image = new Uint8Array(Array.from({ length: 45 }, (_, i) => i));
  const parts = chunksOf(image, 10);
  const order = [parts[1], parts[0], parts[0], parts[3], parts[2], parts[4], parts[4]];
  const sent = [];
  for (const part of order) {
    node.step(part);
    while (node.hasReady()) {
      const ready = node.ready();
      if (ready.snapshot !== undefined) {
        t.deepEqual([...ready.snapshot.data], [...image]);
        t.is(ready.snapshot.metadata.index, 50);
      }
      sent.push(...ready.messages, ...ready.messagesAfterPersist);
      log.persist(ready);
      node.advance();
    }
  }
  t.is(node.raft.counters.snapshotsRestored, 1);
  t.is(log.firstIndex(), 51);
  t.is(node.status().commit, 50);
  const done = ofType(sent, MessageType.InstallSnapshotResponse).filter((m) => m.done);
  t.true(done.length >= 1);
  t.is(done[0]?.snapshotIndex, 50);
});

test('the final acknowledgement of a snapshot leaves only after it is persisted', (t) => {
  const { node } = follower();
  for (const part of chunksOf(new Uint8Array(25), 10)) node.step(part);
  const ready = node.ready();
  t.truthy(ready.snapshot);
  t.is(ofType(ready.messages, MessageType.InstallSnapshotResponse).filter((m) => m.done).length, 0);
  t.is(
    ofType(ready.messagesAfterPersist, MessageType.InstallSnapshotResponse).filter((m) => m.done)
      .length,
    1,
  );
});

test('a snapshot larger than snapshotReceiveBytesMax is refused and counted', (t) => {
  const { node } = follower();
  for (const part of chunksOf(new Uint8Array(250), 50)) node.step(part);
  t.true(node.status().counters.rejected['snapshot-too-large'] >= 1);
  t.is(node.raft.counters.snapshotsRestored, 0);
});

test('a follower that already holds the snapshot’s last entry fast-forwards instead of restoring', (t) => {
  const { node, log } = makeNode({
    id: 2,
    voters: [1, 2, 3],
    terms: [1, 1, 1, 1],
    hardState: { term: 1, vote: 0, commit: 1 },
  });
  const metadata = {
    index: 3,
    term: 1,
    config: { voters: [1, 2, 3], outgoingVoters: [], learners: [] },
  };
  node.step({
    type: MessageType.InstallSnapshot,
    group,
    from: 1,
    to: 2,
    term: 1,
    metadata,
    offset: 0,
    data: new Uint8Array(4),
    done: true,
  });
  drain(node, log);
  t.is(node.raft.counters.snapshotsRestored, 0);
  t.is(log.lastIndex(), 4, 'entry 4 was kept');
  t.is(node.status().commit, 3);
});

test('a node restarts from its snapshot: membership from the snapshot, then committed config entries replayed', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], spares: [4, 5] });
  cluster.campaign(1);
  cluster.node(1).proposeConfigChange({ steps: [{ type: ConfigChangeType.AddLearner, node: 4 }] });
  cluster.stabilize();
  t.true(cluster.host(2).compact());
  cluster.node(1).proposeConfigChange({ steps: [{ type: ConfigChangeType.AddLearner, node: 5 }] });
  cluster.stabilize();
  cluster.crash(2);
  cluster.host(2).start(0);
  t.deepEqual(cluster.node(2).status().config.learners, [4], 'the snapshot knows of 4 only');
  cluster.process();
  cluster.stabilize();
  t.deepEqual(cluster.node(2).status().config.learners, [4, 5], 'the replayed entry added 5');
});
