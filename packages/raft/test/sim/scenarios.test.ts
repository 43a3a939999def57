/**
 * The known hard cases, each as a script in which the test owns every message in flight.
 * The SafetyChecker watches every step of each (a violation throws out of the cluster).
 */
import test from 'ava';
import { ConfigChangeType } from '../../src/core/config-change.ts';
import { type Message, MessageType, Role } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';

function roleOf(cluster: Cluster, id: number): string {
  return cluster.node(id).status().role;
}

/** Ticks every live node once and delivers everything (repeat `rounds` times). */
function run(cluster: Cluster, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    for (const [id, host] of cluster.hosts) if (host.alive) cluster.tick(id);
    cluster.deliver();
  }
}

test('a stale leader in a minority keeps no commitment: its entries never commit and are discarded', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3, 4, 5],
    settings: { checkQuorum: false, preVote: true },
  });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.stabilize();
  const committedBefore = cluster.node(1).status().commit;
  // {1, 2} | {3, 4, 5}
  for (const a of [1, 2])
    for (const b of [3, 4, 5]) {
      cluster.cutLink(a, b);
      cluster.cutLink(b, a);
    }
  const stale = cluster.propose(1, 3);
  t.true(stale.ok, 'the stale leader still accepts proposals');
  run(cluster, 40);
  t.is(cluster.node(1).status().commit, committedBefore, 'nothing commits in the minority');
  t.is(roleOf(cluster, 1), Role.Leader, 'without check-quorum it still believes it leads');
  const majorityLeader = [3, 4, 5].find((id) => roleOf(cluster, id) === Role.Leader) ?? 0;
  t.not(majorityLeader, 0, 'the majority elected a leader of its own');
  t.true(cluster.propose(majorityLeader, 2).ok);
  cluster.stabilize();
  t.true(cluster.node(majorityLeader).status().commit > committedBefore);
  cluster.heal();
  run(cluster, 30);
  t.not(roleOf(cluster, 1), Role.Leader, 'the stale leader stepped down');
  const applied = cluster.host(1).appliedIds;
  t.is(applied.length, 4, 'two before the split, two from the majority; none of the stale three');
  t.deepEqual(
    applied,
    cluster.host(majorityLeader).appliedIds,
    'the old leader applies the majority history',
  );
  t.is(cluster.checker.violations, 0);
});

test('pre-vote: a partitioned node rejoining with a long election history does not disrupt the leader', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { preVote: true, checkQuorum: true },
  });
  cluster.campaign(1);
  const term = cluster.node(1).status().term;
  cluster.isolate(3);
  for (let i = 0; i < 300; i++) cluster.tick(3);
  cluster.propose(1, 3);
  cluster.stabilize();
  cluster.heal();
  run(cluster, 40);
  t.is(roleOf(cluster, 1), Role.Leader);
  t.is(cluster.node(1).status().term, term, 'the term never moved');
  t.is(cluster.node(3).status().leader, 1);
  t.is(cluster.host(3).appliedIds.length, 3, 'the returning node caught up');
});

test('without pre-vote, the same rejoining node forces a new election (what pre-vote prevents)', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { preVote: false, checkQuorum: false },
  });
  cluster.campaign(1);
  const term = cluster.node(1).status().term;
  cluster.isolate(3);
  for (let i = 0; i < 300; i++) cluster.tick(3);
  cluster.heal();
  run(cluster, 60);
  t.true(cluster.node(1).status().term > term);
});

test('a snapshot arriving while appends are in flight: stale appends after it change nothing', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], settings: { snapshotChunkBytes: 16 } });
  cluster.campaign(1);
  cluster.propose(1, 4);
  cluster.stabilize();
  // appends to 3 are held back (in flight) while the log moves on and is compacted
  cluster.propose(1, 3);
  const held = cluster.drop((m) => m.to === 3);
  cluster.isolate(3);
  cluster.stabilize();
  cluster.propose(1, 3);
  cluster.stabilize();
  t.true(cluster.host(1).compact(), 'the leader compacted past what 3 holds');
  cluster.heal();
  // the leader notices 3 is behind and streams the snapshot in chunks
  for (let round = 0; round < 30 && cluster.node(3).status().commit < 11; round++) {
    cluster.tick(1);
    cluster.deliver();
  }
  t.true(cluster.node(1).raft.counters.snapshotsSent > 0);
  t.is(cluster.node(3).raft.counters.snapshotsRestored, 1);
  // now the held appends arrive, late and duplicated
  for (const m of [...held, ...held]) cluster.inFlight.push(m);
  cluster.stabilize();
  run(cluster, 10);
  t.is(cluster.node(3).status().lastIndex, cluster.node(1).status().lastIndex);
  t.deepEqual(cluster.host(3).appliedIds, cluster.host(1).appliedIds);
  t.is(cluster.checker.violations, 0);
});

test('stale and duplicated replies: a duplicated vote is counted once, old acks never move progress back', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3, 4, 5], settings: { preVote: false } });
  cluster.tickUntilCampaign(1);
  cluster.deliver((m) => m.type === MessageType.Vote && m.to === 2);
  const grant = cluster.inFlight.filter((m) => m.type === MessageType.VoteResponse);
  t.is(grant.length, 1);
  // three copies of node 2's grant: 1 + 2 is not a majority of five
  for (let i = 0; i < 3; i++) cluster.node(1).step(grant[0] as Message);
  t.is(roleOf(cluster, 1), Role.Candidate);
  cluster.drop(() => true);
  cluster.campaign(1);
  t.is(roleOf(cluster, 1), Role.Leader);
  // capture an early acknowledgement, let replication move on, then replay it
  cluster.propose(1, 1);
  cluster.deliver((m) => m.type === MessageType.Append);
  const early = cluster.inFlight.filter(
    (m) => m.type === MessageType.AppendResponse && m.from === 2,
  );
  cluster.stabilize();
  cluster.propose(1, 5);
  cluster.stabilize();
  const before = cluster
    .node(1)
    .status()
    .progress.find((p) => p.id === 2);
  for (const m of [...early, ...early]) cluster.node(1).step(m);
  cluster.process();
  const after = cluster
    .node(1)
    .status()
    .progress.find((p) => p.id === 2);
  t.is(after?.match, before?.match);
  t.is(after?.state, 'replicate');
  t.is(cluster.node(1).status().commit, 7, 'no-op, one entry, five entries');
});

test('removing the leader: it hands leadership over and the rest go on without it', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.stabilize();
  const result = cluster
    .node(1)
    .proposeConfigChange({ steps: [{ type: ConfigChangeType.RemoveNode, node: 1 }] });
  t.true(result.ok);
  t.false(cluster.propose(1, 1).ok, 'a leader whose removal is in its log accepts no more data');
  cluster.process();
  cluster.stabilize();
  const campaignsBefore = cluster.node(1).raft.counters.campaigns;
  run(cluster, 5);
  const leader = cluster.leader();
  t.true(leader === 2 || leader === 3, `leader is ${leader}`);
  t.deepEqual(cluster.node(leader).status().config.voters, [2, 3]);
  t.true(cluster.propose(leader, 2).ok);
  cluster.stabilize();
  run(cluster, 50);
  t.not(roleOf(cluster, 1), Role.Leader);
  t.is(
    cluster.node(1).raft.counters.campaigns,
    campaignsBefore,
    'the removed node never campaigns again',
  );
  t.is(cluster.host(leader).appliedIds.length, 4);
});

test('a removed node campaigning without pre-vote cannot depose the leader through a re-added learner that missed its re-addition', (t) => {
  // Found by the 100k soak (regressions.ts): the learner, outside its own configuration,
  // took the removed node's terms, and its answers at those terms deposed the leader
  // before a snapshot could catch it up, forever.
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { preVote: false, checkQuorum: false },
  });
  cluster.campaign(3);
  cluster.propose(3, 2);
  cluster.stabilize();
  cluster.isolate(2); // node 2 never learns that its removal committed
  const removeNode = (node: number) =>
    cluster.node(3).proposeConfigChange({ steps: [{ type: ConfigChangeType.RemoveNode, node }] });
  t.true(removeNode(2).ok);
  cluster.stabilize();
  run(cluster, 2);
  t.true(removeNode(1).ok);
  cluster.stabilize();
  run(cluster, 2);
  t.deepEqual(cluster.node(1).status().config.voters, [3], 'node 1 applied its own removal');
  cluster.isolate(1);
  const addLearner = cluster
    .node(3)
    .proposeConfigChange({ steps: [{ type: ConfigChangeType.AddLearner, node: 1 }] });
  t.true(addLearner.ok);
  cluster.stabilize();
  cluster.propose(3, 3);
  cluster.stabilize();
  t.deepEqual(cluster.node(3).status().config.learners, [1]);
  for (let i = 0; i < 5; i++) cluster.tickUntilCampaign(2);
  const leaderTerm = cluster.node(3).status().term;
  t.true(cluster.node(2).status().term > leaderTerm, 'the removed node is ahead in term');
  cluster.heal();
  // The removed node's next request reaches the learner before the leader does.
  cluster.tickUntilCampaign(2);
  t.true(cluster.deliver((m) => m.from === 2 && m.to === 1) > 0);
  t.is(cluster.node(1).status().term, leaderTerm, 'the learner did not take its term');
  run(cluster, 80);
  t.is(roleOf(cluster, 3), Role.Leader);
  t.is(cluster.node(3).status().term, leaderTerm, 'the leader was never deposed');
  t.is(cluster.node(1).status().term, leaderTerm, 'the learner never took the removed node’s term');
  t.deepEqual(cluster.node(1).status().config.learners, [1], 'the learner learned it was re-added');
  t.deepEqual(cluster.host(1).appliedIds, cluster.host(3).appliedIds, 'and caught up');
  t.true(cluster.node(2).raft.counters.campaigns >= 5, 'while the removed node kept campaigning');
  t.is(cluster.checker.violations, 0);
});

test('transfer to a lagging follower: the leader catches it up (through a snapshot), then hands over', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.isolate(3);
  for (let i = 0; i < 10; i++) cluster.propose(1, 2);
  cluster.stabilize();
  t.true(cluster.host(1).compact());
  cluster.heal();
  t.is(cluster.node(1).transferLeadership(3), undefined);
  const refused = cluster.node(1).propose(new Uint8Array([1]));
  t.false(refused.ok);
  if (!refused.ok) t.is(refused.error.code, 'transfer-in-progress');
  for (let round = 0; round < 40 && roleOf(cluster, 3) !== Role.Leader; round++) {
    cluster.tick(1);
    cluster.deliver();
  }
  t.is(roleOf(cluster, 3), Role.Leader);
  t.true(cluster.node(3).raft.counters.snapshotsRestored >= 1);
  cluster.stabilize();
  t.is(cluster.leader(), 3);
  t.is(cluster.host(3).appliedIds.length, 20);
});

test('a crash that loses acknowledged entries: without the guard a committed entry is lost', (t) => {
  const scenario = (guard: boolean): Cluster => {
    const cluster = new Cluster({
      voters: [1, 2, 3],
      settings: { preVote: false, checkQuorum: false },
    });
    cluster.campaign(1);
    cluster.stabilize();
    // X commits on 1 and 2 only
    cluster.isolate(3);
    const x = cluster.propose(1, 1);
    cluster.stabilize();
    t.is(cluster.node(1).status().commit, x.indexLast);
    // 1 goes down; 2's disk loses X although it acknowledged it
    cluster.crash(1);
    const lost = cluster.host(2).durableLastIndex;
    cluster.crash(2);
    cluster.host(2).log.truncateAfter(x.indexLast - 1);
    cluster.restart(2, guard ? lost : 0);
    cluster.heal();
    cluster.isolate(1);
    // 3 (which never had X) campaigns; only 2 can give it a majority
    for (let i = 0; i < 5 && cluster.leader() === 0; i++) cluster.campaign(3);
    if (cluster.leader() === 3) {
      cluster.propose(3, 1);
      cluster.stabilize();
    }
    return cluster;
  };
  const error = t.throws(() => scenario(false));
  t.regex(error?.message ?? '', /committed entry lost|leader completeness/);
  const safe = scenario(true);
  t.is(safe.leader(), 0, 'with the guard, 3 cannot be elected without X');
  t.is(safe.node(2).status().votingDisabledUntilIndex, 2);
  t.is(safe.checker.violations, 0);
});
