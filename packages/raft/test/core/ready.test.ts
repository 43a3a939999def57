/** The Ready contract: what must be persisted, what may be sent when, and what to apply. */
import test from 'ava';
import { RaftInvariantError } from '../../src/core/assert.ts';
import { type InstallSnapshotRequest, MessageType, Role } from '../../src/core/types.ts';
import {
  append,
  cycle,
  drain,
  entriesWithTerms,
  group,
  makeNode,
  ofType,
  voteRequest,
} from './helpers.ts';

test('ready() again before advance() with nothing new is a programmer error that throws', (t) => {
  const { node } = makeNode({ id: 1, voters: [1, 2, 3] });
  node.step(voteRequest(2, 1, 1, 0, 0));
  node.ready();
  t.false(node.hasReady(), 'nothing new until something happens');
  t.throws(() => node.ready(), { instanceOf: RaftInvariantError });
});

test('pipelined Readies: each carries only entries no earlier one does, acks after their own', (t) => {
  const { node, log } = makeNode({ id: 2, voters: [1, 2, 3] });
  node.step(append(1, 2, 1, 0, 0, entriesWithTerms([1, 1]), 0));
  const first = node.ready(); // entries 1..2 are being fsynced...
  t.false(node.hasReady());
  // ...while the leader sends 3..4: a second Ready takes them at once
  node.step(append(1, 2, 1, 2, 1, entriesWithTerms([1, 1], 3), 2));
  t.true(node.hasReady());
  const second = node.ready();
  t.deepEqual(
    second.entries.map((e) => e.index),
    [3, 4],
  );
  t.deepEqual(
    ofType(second.messagesAfterPersist, MessageType.AppendResponse).map((m) => m.index),
    [4],
    'the acknowledgement of 3..4 travels with the Ready that persists them',
  );
  t.deepEqual(
    second.committedEntries.map((e) => e.index),
    [1, 2],
    'committed (durable on a quorum), applied once the earlier Ready is persisted',
  );
  log.persist(first);
  node.advance();
  t.is(node.status().persistedIndex, 2);
  t.deepEqual(
    ofType(first.messagesAfterPersist, MessageType.AppendResponse).map((m) => m.index),
    [2],
  );
  log.persist(second);
  node.advance();
  t.is(node.status().persistedIndex, 4);
  t.is(node.status().applied, 2);
  t.false(node.hasReady(), 'nothing is handed out twice');
});

test('pipelined Readies: entries replaced while in progress are persisted again', (t) => {
  const { node, log } = makeNode({ id: 2, voters: [1, 2, 3] });
  node.step(append(1, 2, 1, 0, 0, entriesWithTerms([1, 1, 1]), 0));
  const slow = node.ready(); // 1..3 of term 1 in progress
  node.step(append(3, 2, 2, 1, 1, entriesWithTerms([2, 2], 2), 1));
  const replacement = node.ready(); // 2..3 of term 2, while the first is still in flight
  t.deepEqual(
    replacement.entries.map((e) => [e.index, e.term]),
    [
      [2, 2],
      [3, 2],
    ],
  );
  log.persist(slow);
  node.advance();
  t.is(node.status().persistedIndex, 1, 'only the prefix still ours counts as persisted');
  log.persist(replacement);
  node.advance();
  t.is(node.status().persistedIndex, 3);
  t.is(log.term(3), 2);
  t.false(node.hasReady() && node.ready().entries.length > 0, 'nothing is persisted twice');
});

test('pipelined Readies: committed entries are handed out once, and applied in order', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1] });
  while (node.status().role !== Role.Leader) node.tick();
  drain(node, log);
  node.propose(new Uint8Array([1]));
  const first = node.ready(); // entry 2 in progress (1 is the leader's empty entry)
  log.persist(first);
  node.advance(); // entry 2 is durable: committed (a single voter)
  const second = node.ready();
  t.deepEqual(
    second.committedEntries.map((e) => e.index),
    [2],
  );
  node.propose(new Uint8Array([2]));
  const third = node.ready();
  t.deepEqual(third.committedEntries, [], 'entry 2 is not handed out again');
  t.deepEqual(
    third.entries.map((e) => e.index),
    [3],
  );
  log.persist(second);
  node.advance();
  t.is(node.status().applied, 2);
  log.persist(third);
  node.advance();
  t.deepEqual(
    cycle(node, log).committedEntries.map((e) => e.index),
    [3],
  );
});

test('pipelined Readies: a snapshot to install waits until every earlier Ready is advanced', (t) => {
  const { node, log } = makeNode({ id: 2, voters: [1, 2, 3] });
  node.step(append(1, 2, 1, 0, 0, entriesWithTerms([1]), 0));
  const inFlight = node.ready();
  const chunk: InstallSnapshotRequest = {
    type: MessageType.InstallSnapshot,
    group,
    from: 1,
    to: 2,
    term: 1,
    metadata: {
      index: 10,
      term: 1,
      config: { voters: [1, 2, 3], outgoingVoters: [], learners: [] },
    },
    offset: 0,
    data: new Uint8Array([9]),
    done: true,
  };
  node.step(chunk);
  t.false(node.hasReady(), 'the snapshot is not pipelined behind an outstanding Ready');
  log.persist(inFlight);
  node.advance();
  t.true(node.hasReady());
  const install = node.ready();
  t.is(install.snapshot?.metadata.index, 10);
  t.false(node.hasReady(), 'nothing more until the snapshot is advanced');
  log.persist(install);
  node.advance();
  t.is(node.status().applied, 10);
});

test('the hard state appears in a Ready only when it changed', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1, 2, 3] });
  node.step(append(2, 1, 1, 0, 0, entriesWithTerms([1]), 0));
  const first = cycle(node, log);
  t.deepEqual(first.hardState, { term: 1, vote: 0, commit: 0 });
  node.step(append(2, 1, 1, 1, 1, entriesWithTerms([1], 2), 0));
  const second = cycle(node, log);
  t.is(second.hardState, undefined);
  t.is(second.entries.length, 1);
});

test('between ready() and advance() the node keeps working; a truncation meanwhile is persisted next', (t) => {
  const { node, log } = makeNode({ id: 2, voters: [1, 2, 3] });
  node.step(append(1, 2, 1, 0, 0, entriesWithTerms([1, 1, 1]), 0));
  const slow = node.ready(); // entries 1..3 of term 1 are being fsynced...
  // ...while the leader of term 2 replaces 2..3
  node.step(append(3, 2, 2, 1, 1, entriesWithTerms([2, 2], 2), 1));
  const early = node.takeMessages();
  t.deepEqual(early, [], 'acknowledgements wait for the fsync');
  log.persist(slow);
  node.advance();
  const next = cycle(node, log);
  t.deepEqual(
    next.entries.map((e) => [e.index, e.term]),
    [
      [2, 2],
      [3, 2],
    ],
  );
  t.deepEqual(
    ofType(next.messagesAfterPersist, MessageType.AppendResponse).map((m) => [
      m.to,
      m.success,
      m.index,
    ]),
    [[3, true, 3]],
  );
  t.is(log.term(3), 2);
  t.is(node.status().persistedIndex, 3);
});

test('committed entries are handed over once, in order, after they are durable', (t) => {
  const { node, log } = makeNode({ id: 1, voters: [1] });
  while (node.status().role !== Role.Leader) node.tick();
  const applied: number[] = [];
  for (let i = 0; i < 3; i++) {
    node.propose([new Uint8Array([i]), new Uint8Array([i])]);
    while (node.hasReady()) applied.push(...cycle(node, log).committedEntries.map((e) => e.index));
  }
  t.deepEqual(applied, [1, 2, 3, 4, 5, 6, 7]);
  t.is(node.status().applied, 7);
});

test('trace: state transitions go to logger.debug only when asked for', (t) => {
  const quiet = makeNode({ id: 1, voters: [1] });
  const events: string[] = [];
  const loud = makeNode({ id: 1, voters: [1], options: { trace: true } });
  loud.logger.debug = (event) => events.push(event);
  let quietDebug = 0;
  quiet.logger.debug = () => quietDebug++;
  for (let i = 0; i < 25; i++) {
    quiet.node.tick();
    loud.node.tick();
  }
  drain(loud.node, loud.log);
  t.is(quietDebug, 0);
  t.true(events.includes('raft.become-leader'));
});

test('a restart finds a commit index beyond a truncated log, clips it and says so', (t) => {
  const { node, logger } = makeNode({
    id: 1,
    voters: [1, 2, 3],
    terms: [1, 1],
    hardState: { term: 1, vote: 0, commit: 5 },
  });
  t.is(node.status().commit, 2);
  t.is(node.status().counters.commitBeyondLogAtStart, 1);
  t.is(logger.warnings[0]?.event, 'raft.commit-beyond-log');
  t.deepEqual(
    node.ready().hardState,
    { term: 1, vote: 0, commit: 2 },
    'the corrected hard state is persisted',
  );
});

test('a broken invariant deep in the core throws an error naming the group and the node', (t) => {
  const { node, log } = makeNode({ id: 3, voters: [1, 2, 3], terms: [1, 1] });
  // a host bug: the log reader forgets the term of its last entry
  const term = log.term.bind(log);
  log.term = (index: number) => (index === 2 ? undefined : term(index));
  const error = t.throws(() => {
    for (let i = 0; i < 30; i++) node.tick();
  });
  t.true(error instanceof RaftInvariantError);
  t.regex(
    error?.message ?? '',
    /^raft group 7 node 3 \(term \d+, [a-z-]+\): raft log: no term for the last index 2/,
  );
});
