/** The Ready contract: what must be persisted, what may be sent when, and what to apply. */
import test from 'ava';
import { RaftInvariantError } from '../../src/core/assert.ts';
import { MessageType, Role } from '../../src/core/types.ts';
import {
  append,
  cycle,
  drain,
  entriesWithTerms,
  makeNode,
  ofType,
  voteRequest,
} from './helpers.ts';

test('ready() twice without advance() is a programmer error that throws', (t) => {
  const { node } = makeNode({ id: 1, voters: [1, 2, 3] });
  node.step(voteRequest(2, 1, 1, 0, 0));
  node.ready();
  t.false(node.hasReady(), 'nothing more until advance');
  t.throws(() => node.ready(), { instanceOf: RaftInvariantError });
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
