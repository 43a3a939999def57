/** Linearizable reads by read index (Raft thesis §6.4), on the leader and forwarded. */
import test from 'ava';
import { MessageType, Role } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';
import { drain, makeNode } from './helpers.ts';

function readStates(cluster: Cluster, id: number): { requestId: number; index: number }[] {
  const seen: { requestId: number; index: number }[] = [];
  cluster.host(id).onReadState = (_host, requestId, index) => seen.push({ requestId, index });
  return seen;
}

test('§6.4 the leader answers a read with its commit index once a quorum confirmed its leadership', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.stabilize();
  const seen = readStates(cluster, 1);
  t.is(cluster.node(1).readIndex(7), undefined);
  cluster.process();
  t.deepEqual(seen, [], 'not before the heartbeat round');
  const heartbeats = cluster.inFlight.filter((m) => m.type === MessageType.Heartbeat);
  t.is(heartbeats.length, 2);
  t.true(heartbeats.every((m) => m.type === MessageType.Heartbeat && m.context > 0));
  cluster.deliver((m) => m.type === MessageType.Heartbeat && m.to === 2);
  cluster.deliver((m) => m.type === MessageType.HeartbeatResponse);
  t.deepEqual(seen, [{ requestId: 7, index: 3 }], 'one follower plus the leader is a quorum');
});

test('§6.4 a new leader holds reads until an entry of its own term has committed', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { preVote: false, checkQuorum: false },
  });
  cluster.campaign(1);
  cluster.propose(1, 1);
  cluster.stabilize();
  // 2 becomes leader; hold back its no-op
  cluster.tickUntilCampaign(2);
  cluster.deliver((m) => m.type === MessageType.Vote);
  cluster.deliver((m) => m.type === MessageType.VoteResponse);
  t.is(cluster.node(2).status().role, Role.Leader);
  const seen = readStates(cluster, 2);
  cluster.node(2).readIndex(1);
  cluster.drop((m) => m.type === MessageType.Append);
  cluster.tick(2);
  cluster.deliver();
  t.deepEqual(seen, [], 'no answer while the no-op is uncommitted');
  for (let i = 0; i < 20 && seen.length === 0; i++) {
    cluster.tick(2);
    cluster.deliver();
  }
  t.deepEqual(seen, [{ requestId: 1, index: 3 }], 'the read point includes the no-op');
});

test('a follower forwards a read to the leader and gets the read point back', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.stabilize();
  const seen = readStates(cluster, 3);
  t.is(cluster.node(3).readIndex(99), undefined);
  cluster.stabilize();
  for (let i = 0; i < 3 && seen.length === 0; i++) {
    cluster.tick(1);
    cluster.stabilize();
  }
  t.deepEqual(seen, [{ requestId: 99, index: 3 }]);
});

test('a follower that knows no leader refuses a read with a retriable error', (t) => {
  const { node } = makeNode({ id: 2, voters: [1, 2, 3] });
  const error = node.readIndex(1);
  t.is(error?.code, 'no-leader');
  t.true(error?.retriable);
});

test('a leader cut off from the quorum never answers, and drops its reads when it steps down', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], settings: { checkQuorum: true } });
  cluster.campaign(1);
  cluster.stabilize();
  const seen = readStates(cluster, 1);
  cluster.isolate(1);
  cluster.node(1).readIndex(5);
  for (let i = 0; i < 30; i++) cluster.tick(1);
  t.deepEqual(seen, []);
  t.is(cluster.node(1).status().role, Role.Follower);
  t.is(cluster.node(1).status().counters.readsDropped, 1);
});

test('a single-voter group answers a read at once', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1] });
  while (node.status().role !== Role.Leader) node.tick();
  drain(node, log);
  node.readIndex(3);
  const ready = node.ready();
  t.deepEqual(ready.readStates, [{ requestId: 3, index: 1 }]);
});
