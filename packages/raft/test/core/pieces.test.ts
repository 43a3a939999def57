/** The small pieces: config-change codec, quorum arithmetic, inflight window, PRNG, options. */
import test from 'ava';
import fc from 'fast-check';
import {
  applyConfigChange,
  ConfigChangeType,
  decodeConfigEntry,
  encodeConfigEntry,
  leaveJoint,
} from '../../src/core/config-change.ts';
import { RaftError } from '../../src/core/errors.ts';
import { Inflights } from '../../src/core/inflights.ts';
import { MemoryLog } from '../../src/core/memory-log.ts';
import { SeededPrng } from '../../src/core/prng.ts';
import { committedIndex, majorityIndex, voteOutcome } from '../../src/core/quorum.ts';
import { RawNode } from '../../src/core/raw-node.ts';
import { recordingLogger } from './helpers.ts';

const step = fc.record({
  type: fc.constantFrom(
    ConfigChangeType.AddVoter,
    ConfigChangeType.AddLearner,
    ConfigChangeType.RemoveNode,
  ),
  node: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
});

test('config entries round-trip through their codec; other bytes decode to undefined', (t) => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 64 }), (steps) => {
      const decoded = decodeConfigEntry(encodeConfigEntry({ kind: 'change', steps }));
      return JSON.stringify(decoded) === JSON.stringify({ kind: 'change', steps });
    }),
  );
  t.deepEqual(decodeConfigEntry(encodeConfigEntry({ kind: 'leave-joint' })), {
    kind: 'leave-joint',
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const decoded = decodeConfigEntry(bytes);
      return (
        decoded === undefined ||
        JSON.stringify(decodeConfigEntry(encodeConfigEntry(decoded))) === JSON.stringify(decoded)
      );
    }),
  );
});

test('membership arithmetic: single changes stay simple, two voter changes go joint, leaving restores simple', (t) => {
  const base = { voters: [1, 2, 3], outgoingVoters: [], learners: [4, 5] };
  const simple = applyConfigChange(base, [{ type: ConfigChangeType.AddVoter, node: 4 }]);
  t.deepEqual(simple, {
    ok: true,
    config: { voters: [1, 2, 3, 4], outgoingVoters: [], learners: [5] },
  });
  const joint = applyConfigChange(base, [
    { type: ConfigChangeType.AddVoter, node: 4 },
    { type: ConfigChangeType.AddVoter, node: 5 },
  ]);
  t.deepEqual(joint, {
    ok: true,
    config: { voters: [1, 2, 3, 4, 5], outgoingVoters: [1, 2, 3], learners: [] },
  });
  if (joint.ok) {
    t.false(
      applyConfigChange(joint.config, [{ type: ConfigChangeType.RemoveNode, node: 5 }]).ok,
      'no change while joint',
    );
    t.deepEqual(leaveJoint(joint.config), {
      ok: true,
      config: { voters: [1, 2, 3, 4, 5], outgoingVoters: [], learners: [] },
    });
  }
  t.false(leaveJoint(base).ok);
});

function naiveMajority(matches: number[]): number {
  // the largest m such that more than half of the voters have match >= m
  let best = 0;
  for (const candidate of matches) {
    const count = matches.filter((m) => m >= candidate).length;
    if (count > matches.length / 2) best = Math.max(best, candidate);
  }
  return best;
}

test('majorityIndex agrees with a naive definition (differential)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.nat(100), { minLength: 1, maxLength: 9 }), (matches) => {
      const voters = matches.map((_, i) => i + 1);
      return majorityIndex(voters, (id) => matches[id - 1] as number) === naiveMajority(matches);
    }),
  );
  const joint = { voters: [1, 2, 3], outgoingVoters: [3, 4, 5], learners: [] };
  const match: Record<number, number> = { 1: 9, 2: 9, 3: 5, 4: 2, 5: 2 };
  t.is(
    committedIndex(joint, (id) => match[id] ?? 0),
    2,
    'a joint configuration needs both majorities',
  );
});

test('voteOutcome: won at a majority of grants, lost once a majority is out of reach', (t) => {
  const votes = (map: Record<number, boolean>) => (id: number) => map[id];
  t.is(voteOutcome([1, 2, 3], votes({ 1: true, 2: true })), 'won');
  t.is(voteOutcome([1, 2, 3], votes({ 1: true, 2: false })), 'pending');
  t.is(voteOutcome([1, 2, 3], votes({ 1: true, 2: false, 3: false })), 'lost');
  t.is(voteOutcome([1, 2, 3, 4], votes({ 1: true, 2: true })), 'pending');
  t.is(voteOutcome([], votes({})), 'won');
});

test('the inflight window is bounded by count and by bytes, and frees by acknowledgement (model-based)', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 50 }),
      fc.array(
        fc.oneof(
          fc.record({ add: fc.integer({ min: 0, max: 20 }) }),
          fc.record({ free: fc.nat(60) }),
        ),
        { maxLength: 60 },
      ),
      (countMax, bytesMax, ops) => {
        const window = new Inflights(countMax, bytesMax);
        const model: { index: number; bytes: number }[] = [];
        let next = 1;
        for (const op of ops) {
          if ('add' in op) {
            const full =
              model.length >= countMax || model.reduce((a, b) => a + b.bytes, 0) >= bytesMax;
            if (window.full() !== full) return false;
            if (full) continue;
            window.add(next, op.add);
            model.push({ index: next, bytes: op.add });
            next++;
          } else {
            window.freeLE(op.free);
            while (model.length > 0 && (model[0]?.index ?? 0) <= op.free) model.shift();
          }
          if (window.count !== model.length) return false;
          if (window.bytes !== model.reduce((a, b) => a + b.bytes, 0)) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

test('the seeded PRNG is deterministic and covers its range', (t) => {
  const a = new SeededPrng(42);
  const b = new SeededPrng(42);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const x = a.nextInt(10);
    t.is(x, b.nextInt(10));
    seen.add(x);
  }
  t.is(seen.size, 10);
  t.not(new SeededPrng(43).nextUint32(), new SeededPrng(42).nextUint32());
});

test('bad options are refused at construction with a typed error', (t) => {
  const base = {
    id: 1,
    group: 0,
    log: new MemoryLog({ config: { voters: [1], outgoingVoters: [], learners: [] } }),
    prng: new SeededPrng(1),
    logger: recordingLogger(),
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
  };
  for (const bad of [
    { id: 0 },
    { electionTicks: 1 },
    { heartbeatTicks: 10 },
    { appendBytesMax: 10, inflightBytesMax: 5 },
    { group: -1 },
  ]) {
    const error = t.throws(() => new RawNode({ ...base, ...bad }));
    t.true(error instanceof RaftError && error.code === 'invalid-options', JSON.stringify(bad));
  }
  t.notThrows(() => new RawNode(base));
});

test('MemoryLog: an append at an index that is not a number fails its invariant', (t) => {
  // The check is written !(a >= b), not a < b: with NaN only the first form fails, and a
  // rewrite that flipped the comparison once let a NaN index through.
  const log = new MemoryLog({ config: { voters: [1], outgoingVoters: [], learners: [] } });
  const entry = { index: Number.NaN, term: 1, type: 0 as const, data: new Uint8Array(0) };
  t.throws(() => log.append([entry]), { message: /append at NaN/ });
  t.is(log.lastIndex(), 0);
});

test('MemoryLog: appends replace a suffix, compaction keeps what follows the snapshot', (t) => {
  const log = new MemoryLog({ config: { voters: [1], outgoingVoters: [], learners: [] } });
  const entry = (index: number, term: number) => ({
    index,
    term,
    type: 0 as const,
    data: new Uint8Array([index]),
  });
  log.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  log.append([entry(2, 2)]);
  t.is(log.lastIndex(), 2);
  t.is(log.term(2), 2);
  log.append([entry(3, 2), entry(4, 2)]);
  log.compact({
    metadata: { index: 2, term: 2, config: { voters: [1], outgoingVoters: [], learners: [] } },
    data: new Uint8Array(),
  });
  t.is(log.firstIndex(), 3);
  t.is(log.term(2), 2);
  t.is(log.term(1), undefined);
  t.deepEqual(
    log.entries(3, 5, 1).map((e) => e.index),
    [3],
    'a byte limit still returns one entry',
  );
  t.deepEqual(
    log.entries(3, 5, 100).map((e) => e.index),
    [3, 4],
  );
});

test('MemoryLog agrees with a plain array (differential: appends, truncations, compactions, reads)', (t) => {
  const config = { voters: [1], outgoingVoters: [], learners: [] };
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat(6),
      count: fc.integer({ min: 1, max: 6 }),
      term: fc.nat(3),
    }),
    fc.record({ kind: fc.constant('compact' as const), back: fc.nat(8) }),
    fc.record({ kind: fc.constant('cut' as const), back: fc.nat(5) }),
    fc.record({
      kind: fc.constant('read' as const),
      from: fc.nat(30),
      span: fc.nat(12),
      bytes: fc.nat(40),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const log = new MemoryLog({ config });
      let model: { index: number; term: number; size: number }[] = [];
      let snapshotIndex = 0;
      let snapshotTerm = 0;
      let term = 1;
      for (const o of ops) {
        const last = snapshotIndex + model.length;
        if (o.kind === 'append') {
          term += o.term;
          const first = Math.max(snapshotIndex + 1, last + 1 - o.back);
          const entries = Array.from({ length: o.count }, (_, i) => ({
            index: first + i,
            term,
            type: 0 as const,
            data: new Uint8Array((first + i) % 7),
          }));
          log.append(entries);
          model = model
            .slice(0, first - 1 - snapshotIndex)
            .concat(entries.map((e) => ({ index: e.index, term, size: e.data.byteLength })));
        } else if (o.kind === 'compact') {
          const index = Math.max(snapshotIndex, last - o.back);
          if (index === snapshotIndex && index === 0) continue;
          const at =
            index === snapshotIndex
              ? snapshotTerm
              : (model[index - snapshotIndex - 1]?.term as number);
          log.compact({ metadata: { index, term: at, config }, data: new Uint8Array() });
          model = model.slice(index - snapshotIndex);
          snapshotIndex = index;
          snapshotTerm = at;
        } else if (o.kind === 'cut') {
          const keep = Math.max(snapshotIndex, last - o.back);
          log.truncateAfter(keep);
          model = model.slice(0, keep - snapshotIndex);
        } else {
          const low = snapshotIndex + 1 + (o.from % (model.length + 1));
          const high = Math.min(snapshotIndex + model.length + 1, low + o.span);
          const got = log.entries(low, high, o.bytes).map((e) => e.index);
          const want: number[] = [];
          let used = 0;
          for (const e of model.slice(low - snapshotIndex - 1, high - snapshotIndex - 1)) {
            used += e.size;
            if (used > o.bytes && want.length > 0) break;
            want.push(e.index);
          }
          if (JSON.stringify(got) !== JSON.stringify(want)) return false;
        }
        if (
          log.firstIndex() !== snapshotIndex + 1 ||
          log.lastIndex() !== snapshotIndex + model.length
        )
          return false;
        for (const e of model) if (log.term(e.index) !== e.term) return false;
        if (log.term(snapshotIndex) !== snapshotTerm) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
  t.pass();
});
