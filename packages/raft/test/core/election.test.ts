/** Leader election, paragraph by paragraph (Raft §5.2, §5.4.1, thesis §9.6 and §6.2). */
import test from 'ava';
import { MessageType, Role } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';
import { append, cycle, drain, group, makeNode, ofType, voteRequest } from './helpers.ts';

test('§5.2 a follower that hears nothing for its election timeout becomes a candidate of the next term', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1, 2, 3] });
  for (let i = 0; i < 20 && node.raft.role === Role.Follower; i++) node.tick();
  t.is(node.raft.role, Role.Candidate);
  const ready = cycle(node, log);
  t.deepEqual(ready.hardState, { term: 1, vote: 1, commit: 0 });
  // vote requests depend on the durable self-vote: they wait for the fsync
  t.is(ready.messages.length, 0);
  const requests = ofType(ready.messagesAfterPersist, MessageType.Vote);
  t.deepEqual(
    requests.map((m) => [m.to, m.term, m.lastLogIndex, m.lastLogTerm]),
    [
      [2, 1, 0, 0],
      [3, 1, 0, 0],
    ],
  );
});

test('§5.2 election timeouts are randomized in [electionTicks, 2 × electionTicks) from the injected prng', (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 60; seed++) {
    const { node } = makeNode({ id: 1, voters: [1, 2, 3], seed });
    let ticks = 0;
    while (node.raft.role === Role.Follower) {
      node.tick();
      ticks++;
    }
    t.true(ticks >= 10 && ticks < 20, `seed ${seed}: ${ticks} ticks`);
    seen.add(ticks);
  }
  t.true(seen.size >= 5, 'timeouts vary with the seed');
});

test('§5.2 a candidate that wins a majority becomes leader and appends a no-op of its term', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], settings: { preVote: false } });
  cluster.campaign(1);
  const r = cluster.node(1).raft;
  t.is(r.role, Role.Leader);
  t.is(r.term, 1);
  t.is(r.log.lastIndex(), 1);
  t.is(r.log.committed, 1, 'the no-op commits');
  t.is(cluster.node(2).raft.leader, 1);
  t.is(cluster.node(3).raft.log.committed, 1);
});

test('§5.2 a server grants at most one vote per term, first come first served', (t) => {
  const { node, log } = makeNode({ id: 3, voters: [1, 2, 3] });
  node.step(voteRequest(1, 3, 1, 0, 0));
  node.step(voteRequest(2, 3, 1, 0, 0));
  const sent = drain(node, log);
  const answers = ofType(sent, MessageType.VoteResponse).map((m) => [m.to, m.granted]);
  t.deepEqual(answers, [
    [1, true],
    [2, false],
  ]);
  t.deepEqual(log.hardState(), { term: 1, vote: 1, commit: 0 });
  // asked again by the same candidate (a duplicate), the answer is the same
  node.step(voteRequest(1, 3, 1, 0, 0));
  t.true(ofType(drain(node, log), MessageType.VoteResponse)[0]?.granted);
});

test('§5.4.1 a vote is refused to a candidate whose log is less up to date', (t) => {
  const { node, log } = makeNode({
    id: 3,
    voters: [1, 2, 3],
    terms: [1, 1, 2],
    hardState: { term: 2, vote: 0, commit: 0 },
  });
  node.step(voteRequest(1, 3, 3, 5, 1)); // longer but older last term
  node.step(voteRequest(2, 3, 4, 2, 2)); // same last term, shorter
  const answers = ofType(drain(node, log), MessageType.VoteResponse).map((m) => [m.to, m.granted]);
  t.deepEqual(answers, [
    [1, false],
    [2, false],
  ]);
  node.step(voteRequest(1, 3, 5, 3, 2)); // equally up to date
  t.true(ofType(drain(node, log), MessageType.VoteResponse)[0]?.granted);
});

test('§5.2 a split vote times out and a new election at a higher term settles it', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3, 4],
    settings: { preVote: false, checkQuorum: false },
  });
  // 1 and 2 campaign at once; 1 gets 3's vote and 2 gets 4's: nobody has 3 of 4
  cluster.tickUntilCampaign(1);
  cluster.tickUntilCampaign(2);
  cluster.deliver(
    (m) =>
      m.type === MessageType.Vote && ((m.from === 1 && m.to === 3) || (m.from === 2 && m.to === 4)),
  );
  cluster.deliver((m) => m.type === MessageType.Vote);
  cluster.stabilize();
  // each hears a refusal from the other half: with 2 of 4, neither can win term 1
  for (const id of [1, 2, 3, 4]) t.not(cluster.node(id).raft.role, Role.Leader);
  t.is(cluster.node(1).raft.term, 1);
  cluster.campaign(1);
  t.is(cluster.node(1).raft.role, Role.Leader);
  t.true(cluster.node(1).raft.term >= 2);
});

test('§5.2 a candidate that hears from a leader of its term becomes its follower', (t) => {
  const { node, log } = makeNode({ id: 2, voters: [1, 2, 3] });
  while (node.raft.role !== Role.Candidate) node.tick();
  drain(node, log);
  node.step(append(1, 2, 1, 0, 0, [], 0));
  t.is(node.status().role, Role.Follower);
  t.is(node.raft.leader, 1);
  t.is(node.raft.term, 1);
});

test('§9.6 pre-vote: an isolated node campaigning again and again never raises its term', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], settings: { preVote: true } });
  cluster.campaign(1);
  const termBefore = cluster.node(3).raft.term;
  cluster.isolate(3);
  for (let i = 0; i < 200; i++) cluster.tick(3);
  t.is(cluster.node(3).raft.term, termBefore);
  t.is(cluster.node(3).raft.role, Role.PreCandidate);
  t.true(cluster.node(3).raft.counters.campaigns > 5);
});

test('§9.6 without pre-vote the same isolated node raises its term on every attempt', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], settings: { preVote: false } });
  cluster.campaign(1);
  cluster.isolate(3);
  for (let i = 0; i < 200; i++) cluster.tick(3);
  t.true(cluster.node(3).raft.term > 5);
});

test('§6.2 check-quorum: a leader that hears from no quorum for an election timeout steps down', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3], settings: { checkQuorum: true } });
  cluster.campaign(1);
  cluster.isolate(1);
  let ticks = 0;
  while (cluster.node(1).raft.role === Role.Leader && ticks < 100) {
    cluster.tick(1);
    ticks++;
  }
  t.is(cluster.node(1).raft.role, Role.Follower);
  t.true(ticks <= 2 * 10, `stepped down after ${ticks} ticks`);
});

test('§6.2 leader lease: a follower that heard from its leader ignores a higher-term vote request', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { checkQuorum: true, preVote: false },
  });
  cluster.campaign(1);
  const follower = cluster.node(2);
  follower.step(voteRequest(3, 2, 9, 100, 9));
  cluster.process();
  t.is(follower.raft.term, 1, 'the term did not move');
  t.is(follower.raft.counters.votesIgnoredInLease, 1);
  t.is(cluster.inFlight.filter((m) => m.type === MessageType.VoteResponse).length, 0);
});

test('without check-quorum, the lease still ignores a candidate behind an entry known committed (it cannot win); one that could win is heard', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { checkQuorum: false, preVote: false },
  });
  cluster.campaign(1);
  cluster.propose(1, 3);
  cluster.stabilize();
  const follower = cluster.node(2);
  t.is(follower.status().commit, 4);
  follower.step(voteRequest(3, 2, 9, 3, 1)); // behind the committed entry 4 of term 1
  cluster.process();
  t.is(follower.raft.term, 1, 'the term did not move');
  t.is(follower.raft.counters.votesIgnoredInLease, 1);
  follower.step(voteRequest(3, 2, 9, 4, 1)); // holds every committed entry: Raft as usual
  cluster.process();
  t.is(follower.raft.term, 9);
  t.is(follower.raft.counters.votesIgnoredInLease, 1);
});

test('a lagging member receiving a snapshot from its leader ignores a candidate behind that snapshot (a removed server that never learned of its removal)', (t) => {
  // Found by the 100k soak (regressions.ts): without pre-vote and check-quorum, node 5,
  // removed without knowing it, kept raising the term of node 3, which had not applied the
  // removal; node 3's answers at that term deposed every leader before its snapshot
  // completed.
  const { node, log } = makeNode({
    id: 3,
    voters: [1, 2, 3, 4, 5],
    terms: [1, 1],
    hardState: { term: 4, vote: 0, commit: 2 },
  });
  node.step({
    type: MessageType.InstallSnapshot,
    group,
    from: 1,
    to: 3,
    term: 4,
    metadata: {
      index: 50,
      term: 3,
      config: { voters: [1, 2, 3, 4], outgoingVoters: [], learners: [] },
    },
    offset: 0,
    data: new Uint8Array(8),
    done: false,
  });
  drain(node, log);
  node.step(voteRequest(5, 3, 9, 40, 1));
  t.is(node.raft.term, 4, 'the term did not move');
  t.is(node.raft.leader, 1);
  t.is(node.raft.counters.votesIgnoredInLease, 1);
  t.deepEqual(ofType(drain(node, log), MessageType.VoteResponse), []);
});

test('votingDisabledUntilIndex: a replica that lost acknowledged entries neither votes nor campaigns until refilled', (t) => {
  const { node, log } = makeNode({
    id: 3,
    voters: [1, 2, 3],
    terms: [1, 1],
    hardState: { term: 1, vote: 0, commit: 2 },
    options: { votingDisabledUntilIndex: 4 },
  });
  for (let i = 0; i < 100; i++) node.tick();
  t.is(node.raft.role, Role.Follower, 'never campaigns');
  node.step(voteRequest(1, 3, 2, 0, 0));
  t.false(ofType(drain(node, log), MessageType.VoteResponse)[0]?.granted);
  // the leader refills entries 3 and 4
  node.step(
    append(
      2,
      3,
      2,
      2,
      1,
      [
        { index: 3, term: 2, type: 0, data: new Uint8Array(1) },
        { index: 4, term: 2, type: 0, data: new Uint8Array(1) },
      ],
      4,
    ),
  );
  drain(node, log);
  t.is(node.status().votingDisabledUntilIndex, 4);
  node.step(voteRequest(1, 3, 3, 4, 2));
  t.true(ofType(drain(node, log), MessageType.VoteResponse)[0]?.granted);
  t.is(node.status().votingDisabledUntilIndex, 0, 'voting is enabled again');
});

test('a learner never campaigns', (t) => {
  const { node } = makeNode({ id: 4, voters: [1, 2, 3], learners: [4] });
  for (let i = 0; i < 100; i++) node.tick();
  t.is(node.raft.role, Role.Follower);
  t.is(node.raft.counters.campaigns, 0);
});

test('a single-voter group elects itself at once', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1] });
  while (node.raft.role !== Role.Leader) node.tick();
  drain(node, log);
  t.is(node.raft.log.committed, 1, 'its no-op commits once it is durable');
  t.is(node.raft.group, group);
});

test('a candidate learns from a vote answer that its log is committed further than it knew', (t) => {
  const { node, log } = makeNode({
    id: 1,
    voters: [1, 2],
    terms: [1, 1, 1],
    hardState: { term: 1, vote: 0, commit: 1 },
  });
  while (node.status().role !== Role.Candidate) node.tick();
  drain(node, log);
  const term = node.status().term;
  // node 2 refuses, saying entry 3 (term 1) is committed: we hold that very entry
  node.step({
    type: MessageType.VoteResponse,
    group,
    from: 2,
    to: 1,
    term,
    granted: false,
    commit: 3,
    commitTerm: 1,
  });
  t.is(node.status().commit, 3);
  // a commit point we do not hold (another term at that index) teaches nothing
  const other = makeNode({
    id: 1,
    voters: [1, 2],
    terms: [1, 1, 1],
    hardState: { term: 1, vote: 0, commit: 1 },
  });
  while (other.node.status().role !== Role.Candidate) other.node.tick();
  drain(other.node, other.log);
  const otherTerm = other.node.status().term;
  other.node.step({
    type: MessageType.VoteResponse,
    group,
    from: 2,
    to: 1,
    term: otherTerm,
    granted: false,
    commit: 3,
    commitTerm: 2,
  });
  t.is(other.node.status().commit, 1);
});
