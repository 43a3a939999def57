/** Membership changes (Raft thesis §4): learners, single-server changes, joint consensus. */
import test from 'ava';
import { ConfigChangeType } from '../../src/core/config-change.ts';
import { SeededPrng } from '../../src/core/prng.ts';
import { RawNode } from '../../src/core/raw-node.ts';
import { MessageType, Role } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';

const addLearner = (node: number) => ({ steps: [{ type: ConfigChangeType.AddLearner, node }] });
const promote = (node: number) => ({ steps: [{ type: ConfigChangeType.AddVoter, node }] });
const remove = (node: number) => ({ steps: [{ type: ConfigChangeType.RemoveNode, node }] });

function groupWithLearner(): Cluster {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    spares: [4, 5],
    settings: { learnerCatchUpLagMax: 2 },
  });
  cluster.campaign(1);
  if (!cluster.node(1).proposeConfigChange(addLearner(4)).ok)
    throw new Error('could not add learner 4');
  cluster.stabilize();
  return cluster;
}

test('§4.2.1 a learner receives the log but neither votes nor counts toward commit', (t) => {
  const cluster = groupWithLearner();
  t.deepEqual(cluster.node(1).status().config, {
    voters: [1, 2, 3],
    outgoingVoters: [],
    learners: [4],
  });
  cluster.propose(1, 2);
  cluster.stabilize();
  t.deepEqual(cluster.host(4).appliedIds, cluster.host(1).appliedIds);
  // with 2 and 3 cut off, 1 + learner 4 cannot commit
  cluster.isolate(2);
  cluster.isolate(3);
  const { indexLast } = cluster.propose(1, 1);
  cluster.stabilize();
  t.is(cluster.node(4).status().lastIndex, indexLast, 'the learner has it');
  t.true(cluster.node(1).status().commit < indexLast, 'but it is not committed');
  for (let i = 0; i < 100; i++) cluster.tick(4);
  t.is(cluster.node(4).raft.counters.campaigns, 0);
});

test('§4.2.1 a learner is promoted only once caught up', (t) => {
  const cluster = groupWithLearner();
  cluster.isolate(4);
  for (let i = 0; i < 5; i++) cluster.propose(1, 1);
  cluster.stabilize();
  const refused = cluster.node(1).proposeConfigChange(promote(4));
  t.false(refused.ok);
  if (!refused.ok) {
    t.is(refused.error.code, 'learner-not-caught-up');
    t.true(refused.error.retriable);
  }
  cluster.heal();
  for (let i = 0; i < 20; i++) {
    cluster.tick(1);
    cluster.deliver();
  }
  const accepted = cluster.node(1).proposeConfigChange(promote(4));
  t.true(accepted.ok);
  cluster.stabilize();
  t.deepEqual(cluster.node(4).status().config.voters, [1, 2, 3, 4]);
});

test('one change at a time: another is refused until the previous one is applied', (t) => {
  const cluster = groupWithLearner();
  t.true(cluster.node(1).proposeConfigChange(addLearner(5)).ok);
  const second = cluster.node(1).proposeConfigChange(remove(4));
  t.false(second.ok);
  if (!second.ok) t.is(second.error.code, 'config-change-pending');
  cluster.stabilize();
  t.true(cluster.node(1).proposeConfigChange(remove(4)).ok);
});

test('invalid changes are refused with a typed, non-retriable error', (t) => {
  const cluster = groupWithLearner();
  const cases = [
    promote(5), // not a learner first
    remove(9), // not a member
    addLearner(2), // a voter (demotion)
    { steps: [] },
    {
      steps: [
        { type: ConfigChangeType.RemoveNode, node: 1 },
        { type: ConfigChangeType.RemoveNode, node: 2 },
        { type: ConfigChangeType.RemoveNode, node: 3 },
      ],
    },
  ];
  for (const change of cases) {
    const result = cluster.node(1).proposeConfigChange(change);
    t.false(result.ok, JSON.stringify(change));
    if (!result.ok) {
      t.is(result.error.code, 'invalid-config-change');
      t.false(result.error.retriable);
    }
  }
  const follower = cluster.node(2).proposeConfigChange(addLearner(5));
  t.false(follower.ok);
  if (!follower.ok) t.is(follower.error.leader, 1, 'a follower names the leader');
});

test('a membership change takes effect when applied, not when appended', (t) => {
  const cluster = groupWithLearner();
  t.true(cluster.node(1).proposeConfigChange(promote(4)).ok);
  cluster.process();
  t.deepEqual(cluster.node(1).status().config.voters, [1, 2, 3], 'appended, not applied');
  cluster.stabilize();
  t.deepEqual(cluster.node(1).status().config.voters, [1, 2, 3, 4]);
});

test('§4.3 two voter changes at once go through a joint configuration the leader then leaves', (t) => {
  const cluster = groupWithLearner();
  const result = cluster.node(1).proposeConfigChange({
    steps: [
      { type: ConfigChangeType.AddVoter, node: 4 },
      { type: ConfigChangeType.RemoveNode, node: 3 },
    ],
  });
  t.true(result.ok);
  cluster.process();
  // apply the joint entry on the leader only, then look
  cluster.deliver((m) => m.type === MessageType.Append);
  cluster.deliver((m) => m.type === MessageType.AppendResponse);
  const joint = cluster.node(1).status().config;
  t.deepEqual(joint, { voters: [1, 2, 4], outgoingVoters: [1, 2, 3], learners: [] });
  // the leader proposed the entry that leaves the joint configuration at once, and takes
  // no data until the change is done
  const leave = cluster.node(1).status().lastIndex;
  t.false(cluster.propose(1, 1).ok);
  // in the joint configuration a commit needs both majorities: {1, 4} is not enough
  cluster.drop(() => true);
  cluster.isolate(2);
  cluster.isolate(3);
  for (let i = 0; i < 20; i++) {
    cluster.tick(1);
    cluster.deliver();
  }
  t.true(cluster.node(1).status().commit < leave);
  t.deepEqual(cluster.node(1).status().config.outgoingVoters, [1, 2, 3], 'still joint');
  cluster.heal();
  for (let i = 0; i < 60 && cluster.node(4).status().config.outgoingVoters.length > 0; i++) {
    for (const id of [1, 2, 3, 4]) cluster.tick(id);
    cluster.deliver();
  }
  cluster.stabilize();
  t.deepEqual(cluster.node(1).status().config, {
    voters: [1, 2, 4],
    outgoingVoters: [],
    learners: [],
  });
  t.deepEqual(cluster.node(4).status().config, {
    voters: [1, 2, 4],
    outgoingVoters: [],
    learners: [],
  });
  t.true(cluster.node(1).status().commit >= leave);
  const leader = cluster.leader();
  t.true([1, 2, 4].includes(leader));
  t.true(cluster.propose(leader, 1).ok, 'data flows again once the change is applied');
});

test('a restarted node replays committed config entries up to the applied index it is given', (t) => {
  const cluster = groupWithLearner();
  cluster.node(1).proposeConfigChange(promote(4));
  cluster.stabilize();
  const applied = cluster.node(2).status().applied;
  cluster.crash(2);
  const host = cluster.host(2);
  host.start(0);
  t.deepEqual(
    cluster.node(2).status().config.voters,
    [1, 2, 3],
    'applied defaults to the snapshot: nothing replayed yet',
  );
  t.is(cluster.node(2).status().applied, 0);
  // a host that says what it applied gets the membership as of that index at once
  const raw = new RawNode({ ...rawOptions(cluster, 2), applied });
  t.deepEqual(raw.status().config.voters, [1, 2, 3, 4]);
  t.is(raw.status().applied, applied);
});

function rawOptions(cluster: Cluster, id: number) {
  return {
    id,
    group: 7,
    log: cluster.host(id).log,
    prng: new SeededPrng(id),
    logger: { warn: () => {} },
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
  };
}

test('a new leader finds its own removal pending in its log and takes no data', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.stabilize();
  t.true(cluster.node(1).proposeConfigChange(remove(2)).ok);
  cluster.process();
  cluster.deliver((m) => m.type === MessageType.Append && m.to === 2);
  cluster.drop(() => true);
  cluster.crash(1);
  for (let i = 0; i < 10; i++) cluster.tick(3); // 3's lease on leader 1 expires
  // 2 holds its own removal, uncommitted; it can still be elected (it is a voter until applied)
  cluster.campaign(2);
  t.is(cluster.node(2).status().role, Role.Leader);
  const refused = cluster.node(2).propose(new Uint8Array(1));
  t.false(refused.ok);
  cluster.stabilize();
  for (let i = 0; i < 3; i++) {
    cluster.tick(2);
    cluster.deliver();
  }
  t.not(cluster.node(2).status().role, Role.Leader, 'once its removal committed it handed over');
  t.deepEqual(cluster.node(3).status().config.voters, [1, 3]);
  // {1, 3} needs node 1 back to elect anyone
  cluster.restart(1);
  for (let i = 0; i < 60 && cluster.leader() === 0; i++) {
    for (const id of [1, 2, 3]) cluster.tick(id);
    cluster.deliver();
  }
  t.true([1, 3].includes(cluster.leader()));
});
