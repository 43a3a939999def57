/** Leadership transfer (Raft thesis §3.10). */
import test from 'ava';
import { MessageType, Role } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';

test('§3.10 transfer to an up-to-date follower: TimeoutNow at once, and it wins without waiting', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { checkQuorum: true, preVote: true },
  });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.stabilize();
  t.is(cluster.node(1).transferLeadership(2), undefined);
  cluster.process();
  t.is(cluster.inFlight.filter((m) => m.type === MessageType.TimeoutNow && m.to === 2).length, 1);
  cluster.stabilize();
  t.is(cluster.leader(), 2, 'through the lease of node 3, which still heard from 1');
  t.is(cluster.node(1).status().role, Role.Follower);
  t.true(cluster.propose(2, 1).ok);
});

test('proposals are refused while a transfer is under way, and resume if it times out', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.stabilize();
  cluster.crash(3);
  t.is(cluster.node(1).transferLeadership(3), undefined);
  const during = cluster.node(1).propose(new Uint8Array(1));
  t.false(during.ok);
  if (!during.ok) {
    t.is(during.error.code, 'transfer-in-progress');
    t.true(during.error.retriable);
  }
  for (let i = 0; i < 12; i++) {
    cluster.tick(1);
    cluster.deliver();
  }
  t.is(
    cluster.node(1).status().transferee,
    0,
    'abandoned after an election timeout without progress',
  );
  t.true(cluster.node(1).propose(new Uint8Array(1)).ok);
});

test('transfer is refused by a follower and toward a non-voter', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  t.is(cluster.node(2).transferLeadership(3)?.code, 'not-leader');
  t.is(cluster.node(1).transferLeadership(9)?.code, 'not-a-voter');
  t.is(cluster.node(1).transferLeadership(1), undefined, 'to itself: nothing to do');
});
