/**
 * Bad input from the network: validateMessage checks every field of a decoded value, and
 * RawNode.step never throws on anything, counts and logs what it refuses, and keeps its
 * state intact.
 */
import test from 'ava';
import fc from 'fast-check';
import { InvalidMessageError } from '../../src/core/errors.ts';
import type { MemoryLog } from '../../src/core/memory-log.ts';
import { RaftLog } from '../../src/core/raft-log.ts';
import type { RawNode } from '../../src/core/raw-node.ts';
import { type Entry, type Message, MessageType } from '../../src/core/types.ts';
import { validateMessage } from '../../src/core/validate-message.ts';
import { Cluster } from '../../src/sim/cluster.ts';
import { append, drain, group, makeNode, voteRequest } from './helpers.ts';

const node = fc.integer({ min: 1, max: 5 });
const smallIndex = fc.integer({ min: 0, max: 40 });
const termArb = fc.integer({ min: 1, max: 20 });
const bytes = fc.uint8Array({ maxLength: 8 });
const config = fc.constant({ voters: [1, 2, 3], outgoingVoters: [], learners: [] });

function entries(prevIndex: number, prevTerm: number, term: number): fc.Arbitrary<Entry[]> {
  return fc.array(fc.tuple(fc.constantFrom(0, 1, 2), bytes), { maxLength: 5 }).map((items) =>
    items.map(([type, data], i) => ({
      index: prevIndex + 1 + i,
      term: Math.max(prevTerm, term),
      type: type as Entry['type'],
      data,
    })),
  );
}

/** Any well-formed message (the shape a correct peer could send, with arbitrary values). */
export const messageArbitrary: fc.Arbitrary<Message> = fc
  .record({ from: node, to: node, term: termArb, kind: fc.integer({ min: 1, max: 13 }) })
  .chain(({ from, to, term, kind }): fc.Arbitrary<Message> => {
    const base = { group, from, to, term };
    switch (kind) {
      case 1:
      case 3:
        return fc
          .record({ index: smallIndex, transfer: fc.boolean() })
          .map(({ index, transfer }) => ({
            ...base,
            type: kind === 1 ? MessageType.PreVote : MessageType.Vote,
            lastLogIndex: index,
            lastLogTerm: index === 0 ? 0 : Math.min(term, 1 + (index % term)),
            transfer,
          }));
      case 2:
      case 4:
        return fc
          .record({ granted: fc.boolean(), commit: smallIndex })
          .map(({ granted, commit }) => ({
            ...base,
            type: kind === 2 ? MessageType.PreVoteResponse : MessageType.VoteResponse,
            granted,
            commit,
            commitTerm: commit === 0 ? 0 : Math.min(term, 1 + (commit % term)),
          }));
      case 5:
        return smallIndex.chain((prev) => {
          const prevTerm = prev === 0 ? 0 : Math.min(term, 1 + (prev % term));
          return fc
            .record({ entries: entries(prev, prevTerm, term), commit: smallIndex })
            .map((body) => ({
              ...base,
              type: MessageType.Append,
              prevLogIndex: prev,
              prevLogTerm: prevTerm,
              ...body,
            }));
        });
      case 6:
        return fc
          .record({
            success: fc.boolean(),
            index: smallIndex,
            hintIndex: smallIndex,
            hintTerm: fc.integer({ min: 0, max: 20 }),
          })
          .map((body) => ({ ...base, type: MessageType.AppendResponse, ...body }));
      case 7:
        return fc
          .record({ commit: smallIndex, context: fc.nat(5) })
          .map((body) => ({ ...base, type: MessageType.Heartbeat, ...body }));
      case 8:
        return fc
          .nat(5)
          .map((context) => ({ ...base, type: MessageType.HeartbeatResponse, context }));
      case 9:
        return fc
          .record({
            index: fc.integer({ min: 1, max: 40 }),
            offset: fc.nat(20),
            data: bytes,
            done: fc.boolean(),
            config,
          })
          .map(({ index, offset, data, done, config }) => ({
            ...base,
            type: MessageType.InstallSnapshot,
            metadata: { index, term, config },
            offset,
            data,
            done,
          }));
      case 10:
        return fc
          .record({
            snapshotIndex: fc.integer({ min: 1, max: 40 }),
            nextOffset: fc.nat(40),
            done: fc.boolean(),
          })
          .map((body) => ({ ...base, type: MessageType.InstallSnapshotResponse, ...body }));
      case 11:
        return fc.constant({ ...base, type: MessageType.TimeoutNow });
      case 12:
        return fc
          .nat(100)
          .map((requestId) => ({ ...base, type: MessageType.ReadIndex, requestId }));
      default:
        return fc
          .record({ requestId: fc.nat(100), index: smallIndex })
          .map((body) => ({ ...base, type: MessageType.ReadIndexResponse, ...body }));
    }
  }) as fc.Arbitrary<Message>;

test('every well-formed message validates, as the very same object', (t) => {
  fc.assert(
    fc.property(messageArbitrary, (m) => {
      const result = validateMessage(m);
      return result === m;
    }),
  );
  t.pass();
});

const badValues: unknown[] = [-1, 1.5, Number.NaN, 2 ** 53, '1', null, undefined, {}, [], true];

test('removing any field, or giving it a wrong value, makes the message invalid with a path', (t) => {
  fc.assert(
    fc.property(messageArbitrary, fc.nat(), fc.constantFrom(...badValues), (m, pick, bad) => {
      const keys = Object.keys(m);
      const key = keys[pick % keys.length] as string;
      const without: Record<string, unknown> = { ...m };
      delete without[key];
      const a = validateMessage(without);
      const replaced = { ...m, [key]: bad } as Record<string, unknown>;
      const b = validateMessage(replaced);
      if (
        !(a instanceof InvalidMessageError) ||
        !a.path.startsWith(key === 'metadata' ? 'metadata' : key)
      )
        return false;
      // a few replacements are still valid: a boolean field set to true, and no entries ([])
      // where an append had none (found in CI: seed -1273618567)
      const stillValid = typeof bad === 'boolean' || (key === 'entries' && Array.isArray(bad));
      return b instanceof InvalidMessageError || stillValid;
    }),
  );
  t.pass();
});

// The CI counterexample, kept: an append with no entries, its entries replaced by [].
test('an append whose entries are replaced by an empty list stays valid', (t) => {
  const m = {
    group: 7,
    from: 1,
    to: 1,
    term: 1,
    type: 5,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    commit: 0,
  };
  t.false(validateMessage({ ...m, entries: [] }) instanceof InvalidMessageError);
  t.true(validateMessage({ ...m, entries: {} }) instanceof InvalidMessageError);
});

test('entries must be consecutive, of non-decreasing terms at most the message term, with Uint8Array data', (t) => {
  const ok = append(
    1,
    2,
    3,
    4,
    2,
    [{ index: 5, term: 2, type: 0, data: new Uint8Array(1) }],
    4,
  ) as unknown as Record<string, unknown>;
  t.is(validateMessage(ok) as unknown, ok);
  const withEntries = (entries: unknown[]) => validateMessage({ ...ok, entries });
  const gap = withEntries([{ index: 6, term: 2, type: 0, data: new Uint8Array(1) }]);
  t.true(gap instanceof InvalidMessageError && gap.reason === 'impossible-index');
  const future = withEntries([{ index: 5, term: 4, type: 0, data: new Uint8Array(1) }]);
  t.true(future instanceof InvalidMessageError && future.reason === 'impossible-term');
  const backwards = withEntries([{ index: 5, term: 1, type: 0, data: new Uint8Array(1) }]);
  t.true(backwards instanceof InvalidMessageError && backwards.reason === 'impossible-term');
  const notBytes = withEntries([{ index: 5, term: 2, type: 0, data: [1, 2] }]);
  t.true(notBytes instanceof InvalidMessageError && notBytes.path === 'entries[0].data');
  const badType = withEntries([{ index: 5, term: 2, type: 7, data: new Uint8Array(1) }]);
  t.true(badType instanceof InvalidMessageError && badType.path === 'entries[0].type');
  const zeroWithTerm = validateMessage({ ...ok, prevLogIndex: 0, prevLogTerm: 2, entries: [] });
  t.true(zeroWithTerm instanceof InvalidMessageError && zeroWithTerm.reason === 'impossible-index');
});

test('validateMessage never throws, whatever the value', (t) => {
  fc.assert(
    fc.property(
      fc.anything({
        withTypedArray: true,
        withBigInt: true,
        withMap: true,
        withNullPrototype: true,
      }),
      (value) => {
        const result = validateMessage(value);
        return result instanceof InvalidMessageError || typeof result === 'object';
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});

test('step never throws on garbage: it counts it as malformed, logs it, and changes nothing', (t) => {
  const { node, logger } = makeNode({
    id: 1,
    voters: [1, 2, 3],
    terms: [1, 1],
    hardState: { term: 1, vote: 0, commit: 1 },
  });
  let count = 0;
  fc.assert(
    fc.property(fc.anything({ withTypedArray: true }), (value) => {
      node.step(value);
      count++;
      const status = node.status();
      return status.term === 1 && status.lastIndex === 2 && status.commit === 1;
    }),
    { numRuns: 1000 },
  );
  t.is(node.status().counters.rejected.malformed, count);
  t.is(logger.warnings.length, count);
  t.is(logger.warnings[0]?.event, 'raft.message-rejected');
});

test('a message for another group, another node, or from ourselves is refused and counted', (t) => {
  const { node, logger } = makeNode({ id: 2, voters: [1, 2, 3] });
  node.step({ ...(voteRequest(1, 2, 1, 0, 0) as object), group: 8 });
  node.step(voteRequest(1, 3, 1, 0, 0));
  node.step(voteRequest(2, 2, 1, 0, 0));
  const counters = node.status().counters.rejected;
  t.is(counters['wrong-group'], 1);
  t.is(counters['wrong-recipient'], 1);
  t.is(counters['invalid-sender'], 1);
  t.is(node.status().term, 0);
  t.deepEqual(
    logger.warnings.map((w) => w.fields.reason),
    ['wrong-group', 'wrong-recipient', 'invalid-sender'],
  );
});

test('a vote request from a non-voter behind our log, and a reply from a non-member, are refused before they touch the term', (t) => {
  const { node } = makeNode({
    id: 2,
    voters: [1, 2, 3],
    learners: [4],
    terms: [1, 1, 2],
    hardState: { term: 2, vote: 0, commit: 1 },
  });
  node.step(voteRequest(9, 2, 5, 2, 1)); // a removed or stray server, behind us
  node.step(voteRequest(4, 2, 5, 1, 1)); // a learner
  node.step({ type: MessageType.HeartbeatResponse, group, from: 9, to: 2, term: 7, context: 0 });
  t.is(node.status().counters.rejected['sender-not-in-config'], 3);
  t.is(node.status().term, 2);
});

test('a node outside its own configuration refuses a non-voter behind its log before it touches the term', (t) => {
  // Node 2 applied its own removal (it may have been re-added as a learner by entries it
  // has not received); node 9, a removed server behind it, campaigns at higher terms.
  const { node, log } = makeNode({
    id: 2,
    voters: [1, 3],
    terms: [1, 1, 2],
    hardState: { term: 2, vote: 0, commit: 3 },
  });
  node.step(voteRequest(9, 2, 5, 2, 1));
  node.step(voteRequest(9, 2, 6, 3, 1));
  t.is(node.status().counters.rejected['sender-not-in-config'], 2);
  t.is(node.status().term, 2, 'our term did not move, so our answers depose no leader');
  t.deepEqual(drain(node, log), []);
});

test('a vote request from a voter of a configuration we have not applied yet is heard', (t) => {
  const { node, log } = makeNode({
    id: 2,
    voters: [1, 2, 3],
    terms: [1, 1],
    hardState: { term: 1, vote: 0, commit: 1 },
  });
  // node 5 was added by entries we do not have; its log is ahead of ours
  node.step(voteRequest(5, 2, 3, 7, 2));
  const answer = drain(node, log).find((m) => m.type === MessageType.VoteResponse);
  t.true(answer?.type === MessageType.VoteResponse && answer.granted);
  t.is(node.status().counters.rejected['sender-not-in-config'], 0);
});

test('an append below our commit index never rewrites committed entries', (t) => {
  const { node, log } = makeNode({
    id: 2,
    voters: [1, 2, 3],
    terms: [1, 1, 1],
    hardState: { term: 2, vote: 0, commit: 3 },
  });
  node.step(append(1, 2, 3, 1, 1, [{ index: 2, term: 3, type: 0, data: new Uint8Array(1) }], 3));
  const answers = drain(node, log).filter((m) => m.type === MessageType.AppendResponse);
  t.deepEqual(
    answers.map((m) => (m.type === MessageType.AppendResponse ? [m.success, m.index] : [])),
    [[true, 3]],
    'answered with our commit index',
  );
  t.is(log.term(2), 1, 'the committed entry is intact');
  // and the log itself refuses to truncate below commit, should it ever be asked to
  const raftLog = new RaftLog(log, 3, 3);
  const outcome = raftLog.maybeAppend(1, 1, [
    { index: 2, term: 3, type: 0, data: new Uint8Array(1) },
  ]);
  t.deepEqual(outcome, { kind: 'conflicts-with-committed', index: 2 });
});

test('an acknowledgement of an index beyond the leader’s log is refused as impossible', (t) => {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  cluster.node(1).step({
    type: MessageType.AppendResponse,
    group: 7,
    from: 2,
    to: 1,
    term: 1,
    success: true,
    index: 1000,
    hintIndex: 0,
    hintTerm: 0,
  });
  t.is(cluster.node(1).status().counters.rejected['impossible-index'], 1);
  t.is(cluster.node(1).status().commit, 1);
});

test('a refusal of an index beyond the leader’s log is refused as impossible, not followed', (t) => {
  // Regression: fast-check seed 2123140940 (the property below) found this message; the
  // leader moved the follower's next index past its own log, took the append it then had to
  // send for compacted, and threw an invariant error (no snapshot).
  const cluster = new Cluster({ voters: [1, 2, 3] });
  cluster.campaign(1);
  t.true(cluster.propose(1, 2).ok);
  cluster.stabilize();
  const refusal: Message = {
    type: MessageType.AppendResponse,
    group: 7,
    from: 2,
    to: 1,
    term: 1,
    success: false,
    index: 5,
    hintIndex: 4,
    hintTerm: 0,
  };
  t.notThrows(() => cluster.node(1).step(refusal));
  t.is(cluster.node(1).status().counters.rejected['impossible-index'], 1);
  t.notThrows(() => cluster.stabilize());
  t.is(cluster.node(1).status().role, 'leader');
});

/** Three raw nodes without a safety checker: forged messages may well break Raft's
 * guarantees (a forged vote is a second vote); what must hold is that no node throws. */
function rawGroup(): { nodes: RawNode[]; logs: MemoryLog[]; deliverAll: () => void } {
  const made = [1, 2, 3].map((id) =>
    makeNode({ id, voters: [1, 2, 3], options: { preVote: true, checkQuorum: true } }),
  );
  const nodes = made.map((m) => m.node);
  const logs = made.map((m) => m.log);
  let queue: Message[] = [];
  const pump = () => {
    nodes.forEach((n, i) => {
      queue.push(...drain(n, logs[i] as MemoryLog));
    });
  };
  const deliverAll = () => {
    for (let round = 0; round < 100; round++) {
      pump();
      const now = queue;
      queue = [];
      if (now.length === 0) return;
      for (const m of now) nodes[m.to - 1]?.step(m);
    }
  };
  return { nodes, logs, deliverAll };
}

test('well-formed but adversarial messages, in any order, never make a node throw', (t) => {
  fc.assert(
    fc.property(fc.array(messageArbitrary, { maxLength: 40 }), fc.nat(4), (messages, ticks) => {
      const { nodes, deliverAll } = rawGroup();
      while (nodes[0]?.status().role !== 'leader') {
        nodes[0]?.tick();
        deliverAll();
      }
      nodes[0].propose([new Uint8Array(1), new Uint8Array(2)]);
      deliverAll();
      for (const m of messages) {
        nodes.forEach((n, i) => {
          n.step({ ...m, to: i + 1 });
          for (let k = 0; k < ticks; k++) n.tick();
        });
        deliverAll();
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
  );
  t.pass();
});
