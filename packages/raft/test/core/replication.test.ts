/** Log replication and commitment, paragraph by paragraph (Raft §5.3, §5.4.2, Figure 8). */
import test from 'ava';
import { EntryType, type Message, MessageType, Role } from '../../src/core/types.ts';
import { Cluster } from '../../src/sim/cluster.ts';
import { append, cycle, drain, entriesWithTerms, makeNode, ofType } from './helpers.ts';

function leaderTerm(cluster: Cluster, id: number): number {
  return cluster.node(id).raft.term;
}

test('§5.3 the leader replicates entries and commits them once a majority holds them durably', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  const { indexLast } = cluster.propose(1, 3);
  t.is(indexLast, 4);
  // only node 2 acknowledges: 2 of 3 is a majority
  cluster.drop((m) => m.to === 3);
  cluster.deliver((m) => m.to === 2);
  cluster.deliver((m) => m.to === 1);
  t.is(cluster.node(1).raft.log.committed, 4);
  t.is(cluster.node(3).raft.log.lastIndex(), 1);
  cluster.stabilize();
  for (const id of [1, 2, 3]) t.is(cluster.host(id).appliedIds.length, 3);
});

test('§5.3 a follower refuses an append whose previous entry it does not hold, with a hint', (t) => {
  const { node, log } = makeNode({
    id: 2,
    voters: [1, 2, 3],
    terms: [1, 1, 2, 2, 2],
    hardState: { term: 3, vote: 0, commit: 1 },
  });
  // the leader of term 4 thinks our entry 5 has term 3; ours is term 2, and every term-2
  // entry is suspect: the hint points before them
  node.step(append(1, 2, 4, 5, 3, [], 1));
  const rejection = ofType(drain(node, log), MessageType.AppendResponse)[0];
  t.truthy(rejection);
  t.false(rejection?.success);
  t.is(rejection?.index, 5);
  t.deepEqual([rejection?.hintIndex, rejection?.hintTerm], [5, 2]);
  // and a probe past our end is answered with our last index
  node.step(append(1, 2, 4, 9, 3, [], 1));
  const past = ofType(drain(node, log), MessageType.AppendResponse)[0];
  t.deepEqual([past?.hintIndex, past?.hintTerm], [5, 2]);
});

test('§5.3 a conflicting uncommitted suffix is replaced; matching entries are never truncated', (t) => {
  const { node, log } = makeNode({
    id: 2,
    voters: [1, 2, 3],
    terms: [1, 1, 2, 2],
    hardState: { term: 2, vote: 0, commit: 2 },
  });
  // a stale duplicate of an earlier append must not truncate entries 3 and 4
  node.step(append(1, 2, 2, 1, 1, entriesWithTerms([1], 2), 2));
  drain(node, log);
  t.is(log.lastIndex(), 4);
  // the leader of term 3 overwrites 3 and 4
  node.step(append(3, 2, 3, 2, 1, entriesWithTerms([3], 3), 2));
  drain(node, log);
  t.is(log.lastIndex(), 3);
  t.is(log.term(3), 3);
});

test('§5.3 a follower acknowledges an append only after it is durable', (t) => {
  const { node, log } = makeNode({ id: 2, voters: [1, 2, 3] });
  node.step(append(1, 2, 1, 0, 0, entriesWithTerms([1, 1]), 0));
  const ready = node.ready();
  t.is(ready.entries.length, 2);
  t.is(ready.messages.length, 0);
  t.deepEqual(
    ofType(ready.messagesAfterPersist, MessageType.AppendResponse).map((m) => [m.success, m.index]),
    [[true, 2]],
  );
  log.persist(ready);
  node.advance();
});

test('Figure 8 setup (c): an entry of an earlier term on a majority is not committed by counting', (t) => {
  const { cluster, oldTerm } = figure8();
  for (const id of [1, 2, 3])
    t.is(cluster.node(id).raft.log.term(2), oldTerm, `node ${id} holds entry 2`);
  t.is(cluster.node(1).raft.log.committed, 1, 'entry 2 is on 3 of 5 yet not committed');
});

test('Figure 8 (d): an uncommitted entry on a majority may be overwritten, and that is safe', (t) => {
  const { cluster } = figure8();
  cluster.crash(1);
  cluster.restart(5);
  electByVotes(cluster, 5, [2, 3, 4]);
  cluster.stabilize();
  t.is(cluster.node(5).raft.role, Role.Leader);
  t.is(cluster.node(2).raft.log.term(2), 2, "S5's entry replaced entry 2 on S2");
  t.is(cluster.checker.violations, 0);
});

test('Figure 8 (e): once an entry of the current term is on a majority, both commit and S5 cannot win', (t) => {
  const { cluster, newTerm } = figure8();
  // S1 replicates its own entry 3 to S2 and S3 (S4 stays out of reach)
  for (let round = 0; round < 30 && cluster.node(1).raft.log.committed < 3; round++) {
    cluster.tick(1);
    cluster.drop((m) => m.to === 4 || m.from === 4);
    cluster.deliver();
  }
  cluster.drop(() => true);
  t.is(cluster.node(1).raft.log.committed, 3);
  t.is(cluster.node(1).raft.log.term(3), newTerm);
  cluster.crash(1);
  cluster.restart(5);
  for (let attempt = 0; attempt < 5; attempt++) {
    cluster.tickUntilCampaign(5);
    cluster.deliver((m) => m.type === MessageType.Vote || m.type === MessageType.PreVote);
    cluster.deliver(
      (m) => m.type === MessageType.VoteResponse || m.type === MessageType.PreVoteResponse,
    );
    cluster.drop(() => true);
    t.not(cluster.node(5).raft.role, Role.Leader);
  }
});

/** Figure 8 (a)-(c) of the Raft paper, with node ids 1-5 for S1-S5. */
function figure8(): { cluster: Cluster; oldTerm: number; newTerm: number } {
  const cluster = new Cluster({
    voters: [1, 2, 3, 4, 5],
    settings: { preVote: false, checkQuorum: false, appendBytesMax: 1 },
  });
  cluster.campaign(1);
  const oldTerm = leaderTerm(cluster, 1);
  // (a) S1 replicates entry 2 to S2 only
  cluster.propose(1);
  cluster.deliver((m) => m.type === MessageType.Append && m.to === 2);
  cluster.drop((m) => m.type === MessageType.Append);
  cluster.deliver((m) => m.from === 2);
  cluster.drop(() => true);
  // (b) S1 crashes; S5 is elected by S3 and S4 and appends entries nobody receives
  cluster.crash(1);
  electByVotes(cluster, 5, [3, 4]);
  cluster.propose(5);
  cluster.drop(() => true);
  cluster.crash(5);
  // (c) S1 restarts, is elected, and replicates entry 2 to S3, but not its own entry 3
  cluster.restart(1);
  electByVotes(cluster, 1, [2, 3, 4]);
  const newTerm = leaderTerm(cluster, 1);
  // S3 may see S1's first probe (it cannot accept it: it lacks entry 2), nothing later
  // that carries an entry of the new term
  const carriesNewTerm = (m: Message) =>
    m.type === MessageType.Append &&
    m.entries.some((e) => e.term === newTerm) &&
    (m.to !== 3 || m.prevLogIndex <= cluster.node(3).raft.log.lastIndex());
  for (let round = 0; round < 10; round++) {
    cluster.drop(carriesNewTerm);
    cluster.drop((m) => m.to !== 3 && m.from !== 3);
    if (cluster.deliver() === 0) break;
  }
  cluster.drop(() => true);
  return { cluster, oldTerm, newTerm };
}

/** Campaigns `id` (repeatedly if needed), delivering only votes to and from `voters`. */
function electByVotes(cluster: Cluster, id: number, voters: number[]): void {
  for (let attempt = 0; attempt < 10; attempt++) {
    cluster.tickUntilCampaign(id);
    cluster.deliver((m) => m.type === MessageType.Vote && voters.includes(m.to));
    cluster.deliver((m) => m.type === MessageType.VoteResponse && m.to === id);
    cluster.drop((m) => m.type === MessageType.Vote || m.type === MessageType.VoteResponse);
    if (cluster.node(id).raft.role === Role.Leader) return;
  }
  throw new Error(`node ${id} was not elected`);
}

test('fast back-off: the leader skips a whole divergent term per round trip', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { preVote: false, checkQuorum: false },
  });
  cluster.campaign(2);
  // leader 2 is cut off and appends 50 entries of its term that no one else receives
  cluster.isolate(2);
  for (let i = 0; i < 50; i++) cluster.node(2).propose(new Uint8Array(1));
  cluster.process();
  // 1 leads a later term with 3 and commits entries of its own
  cluster.campaign(1);
  cluster.propose(1, 5);
  cluster.stabilize();
  cluster.heal();
  let rejections = 0;
  for (let round = 0; round < 100; round++) {
    for (const m of cluster.inFlight)
      if (m.type === MessageType.AppendResponse && !m.success) rejections++;
    cluster.tick(1);
    cluster.deliver();
  }
  cluster.stabilize();
  t.is(cluster.node(2).raft.log.lastIndex(), cluster.node(1).raft.log.lastIndex());
  t.is(cluster.node(2).raft.log.term(7), cluster.node(1).raft.term);
  t.true(rejections <= 2, `${rejections} rejections for a 50-entry divergent term`);
});

test('pipelining: appends to a follower stream within the inflight window, bounded in count and bytes', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { inflightAppendsMax: 4, inflightBytesMax: 1_000_000, appendBytesMax: 3 },
  });
  cluster.campaign(1);
  for (let i = 0; i < 20; i++) cluster.propose(1);
  cluster.node(1).takeMessages();
  cluster.process();
  const toTwo = cluster.inFlight.filter((m) => m.type === MessageType.Append && m.to === 2);
  t.is(toTwo.length, 4, 'four appends in flight, no more');
  const progress = cluster
    .node(1)
    .status()
    .progress.find((p) => p.id === 2);
  t.is(progress?.state, 'replicate');
  t.is(progress?.inflightCount, 4);
  cluster.stabilize();
  t.is(cluster.node(2).raft.log.lastIndex(), 21);

  const bytes = new Cluster({
    voters: [1, 2],
    settings: { inflightAppendsMax: 100, inflightBytesMax: 6, appendBytesMax: 3 },
  });
  bytes.campaign(1);
  for (let i = 0; i < 20; i++) bytes.propose(1);
  bytes.process();
  const appends = bytes.inFlight.filter((m) => m.type === MessageType.Append);
  t.true(appends.length <= 3, `${appends.length} appends for a 6-byte window`);
});

test('proposal batching: many proposals in one call become consecutive entries sent in one append', (t) => {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    settings: { appendBytesMax: 1_000_000, inflightBytesMax: 1_000_000 },
  });
  cluster.campaign(1);
  const data = Array.from({ length: 100 }, (_, i) => new Uint8Array([i]));
  const result = cluster.node(1).propose(data);
  t.true(result.ok);
  if (result.ok) t.deepEqual([result.indexFirst, result.indexLast], [2, 101]);
  cluster.process();
  const appends = cluster.inFlight.filter((m) => m.type === MessageType.Append && m.to === 2);
  t.is(appends.length, 1);
  t.is(appends[0]?.type === MessageType.Append ? appends[0].entries.length : 0, 100);
});

test('entry types: the host can tell data, configuration and no-op entries apart', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1] });
  while (node.raft.role !== Role.Leader) node.tick();
  node.propose(new Uint8Array([42]));
  const applied = [];
  while (node.hasReady()) applied.push(...cycle(node, log).committedEntries);
  t.deepEqual(
    applied.map((e) => e.type),
    [EntryType.Noop, EntryType.Data],
  );
});

test('the leader counts itself toward commit only once its own entries are durable', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1, 2, 3] });
  while (node.raft.role !== Role.Candidate) node.tick();
  drain(node, log);
  node.step({
    type: MessageType.VoteResponse,
    group: 7,
    from: 2,
    to: 1,
    term: 1,
    granted: true,
    commit: 0,
    commitTerm: 0,
  });
  t.is(node.status().role, Role.Leader);
  // follower 2 acknowledges the no-op before the leader persisted it
  node.step({
    type: MessageType.AppendResponse,
    group: 7,
    from: 2,
    to: 1,
    term: 1,
    success: true,
    index: 1,
    hintIndex: 0,
    hintTerm: 0,
  });
  t.is(node.raft.log.committed, 0, 'one durable copy of three is not a majority');
  cycle(node, log);
  t.is(node.raft.log.committed, 1);
});

test('a lost append is sent again without help from the transport', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.propose(1, 2);
  cluster.drop((m) => m.type === MessageType.Append);
  for (let i = 0; i < 30; i++) {
    cluster.tick(1);
    cluster.deliver();
  }
  cluster.stabilize();
  t.is(cluster.node(2).raft.log.lastIndex(), 3);
  t.is(cluster.node(3).raft.log.committed, 3);
});

/**
 * Records the entry indexes of every Append sent from now on, per receiver: `run` delivers
 * everything in rounds (as `stabilize` does), noting each round's new Appends first.
 */
function appendWatcher(cluster: Cluster) {
  const seen = new WeakSet<object>();
  const byReceiver = new Map<number, number[]>();
  const sentTo = (id: number): number[] => {
    let indexes = byReceiver.get(id);
    if (indexes === undefined) {
      indexes = [];
      byReceiver.set(id, indexes);
    }
    return indexes;
  };
  const note = () => {
    for (const m of cluster.inFlight) {
      if (seen.has(m)) continue;
      seen.add(m);
      if (m.type === MessageType.Append) for (const e of m.entries) sentTo(m.to).push(e.index);
    }
  };
  const run = () => {
    for (let round = 0; round < 10_000; round++) {
      note();
      if (cluster.deliver() === 0) return;
    }
    throw new Error('did not stabilize');
  };
  return { sentTo, note, run };
}

test('a follower alive but slow to persist is asked what it holds, never sent its entries again', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  const slow = cluster.host(2);
  const watcher = appendWatcher(cluster);
  let slowWriteStarted = false;
  const electionTicks = cluster.node(1).raft.options.electionTicks;
  for (let tick = 0; tick < 6 * electionTicks; tick++) {
    if (tick % 3 === 0) cluster.propose(1, 2);
    cluster.tick(1);
    watcher.note();
    // Node 2 steps everything and answers heartbeats at once, but its first write with
    // entries never completes in this window: it acknowledges nothing.
    for (const m of cluster.drop((m) => m.to === 2)) {
      slow.node.step(m);
      if (!slowWriteStarted && slow.node.hasReady()) {
        slow.process(0, () => Number.MAX_SAFE_INTEGER);
        slowWriteStarted = true;
      }
    }
    cluster.process();
    watcher.run();
  }
  const leader = cluster.node(1).raft;
  t.true(slowWriteStarted);
  t.is(leader.progress.get(2)?.match, 1, 'nothing acknowledged while the disk is slow');
  const tailProbesWhileSlow = leader.counters.tailProbesSent;
  // Its disk catches up: it acknowledges everything it holds, and the rest follows.
  slow.process(Number.MAX_SAFE_INTEGER, () => 0);
  for (let tick = 0; tick < 2 * electionTicks; tick++) {
    cluster.tick(1);
    watcher.run();
  }
  t.is(cluster.node(2).raft.log.lastIndex(), leader.log.lastIndex());
  t.is(leader.progress.get(2)?.match, leader.log.lastIndex());
  t.is(leader.counters.replicationRestarts, 0);
  t.deepEqual(
    watcher.sentTo(2),
    Array.from({ length: leader.log.lastIndex() - 1 }, (_, i) => i + 2),
    'every entry went to the slow follower exactly once, in order',
  );
  t.true(tailProbesWhileSlow >= 3, `${tailProbesWhileSlow} tail probes while it was slow`);
});

test('lost last appends are found by a tail probe and only what was lost is sent again', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.propose(1, 3);
  // Both followers lose them, so no commit moves (whose announcement would also reveal it).
  const lost = cluster.drop((m) => m.type === MessageType.Append);
  t.deepEqual(
    lost.flatMap((m) => (m.type === MessageType.Append ? m.entries.map((e) => e.index) : [])),
    [2, 3, 4, 2, 3, 4],
  );
  const watcher = appendWatcher(cluster);
  for (let tick = 0; tick < 3 * cluster.node(1).raft.options.electionTicks; tick++) {
    cluster.tick(1);
    watcher.run();
  }
  const leader = cluster.node(1).raft;
  for (const id of [2, 3]) {
    t.is(cluster.node(id).raft.log.lastIndex(), 4);
    t.is(leader.progress.get(id)?.match, 4);
  }
  t.is(leader.log.committed, 4);
  t.deepEqual(watcher.sentTo(2), [2, 3, 4]);
  t.deepEqual(watcher.sentTo(3), [2, 3, 4]);
  t.true(leader.counters.tailProbesSent >= 2);
  t.is(leader.counters.replicationRestarts, 2);
});

test('a lost append in the middle is refused by the next one and sent again at once, from the follower’s end', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.propose(1);
  cluster.propose(1);
  cluster.propose(1);
  const lost = cluster.drop(
    (m) => m.type === MessageType.Append && m.to === 2 && m.entries[0]?.index === 3,
  );
  t.is(lost.length, 1);
  const watcher = appendWatcher(cluster);
  watcher.note(); // entries 2 and 4 were sent before the loss: not resends
  watcher.sentTo(2).length = 0;
  watcher.run();
  t.is(cluster.node(2).raft.log.lastIndex(), 4);
  t.deepEqual(watcher.sentTo(2), [3, 4], 'entry 2 arrived and is not sent again');
  t.is(cluster.node(1).raft.counters.replicationRestarts, 1);
  t.is(cluster.node(1).raft.counters.tailProbesSent, 0, 'no timer was needed');
});
