import test from 'ava';
import fc from 'fast-check';
import {
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
  targetAssignment,
} from '../../src/group/assignors/index.ts';
import type { Assignor, AssignorInput, AssignorMember } from '../../src/group/assignors/types.ts';
import type { TopicPartitions } from '../../src/group/protocol-metadata.ts';

const member = (
  memberId: string,
  topics: string[],
  owned: TopicPartitions[] = [],
  generationId = 1,
): AssignorMember => ({
  memberId,
  groupInstanceId: null,
  subscription: { topics, ownedPartitions: owned, generationId, userData: null, rackId: null },
});

const flat = (assignment: Map<string, TopicPartitions[]>) =>
  [...assignment].flatMap(([id, list]) =>
    list.flatMap((e) => e.partitions.map((p) => ({ id, key: `${e.topic}/${p}` }))),
  );

const counts = (assignment: Map<string, TopicPartitions[]>) =>
  [...assignment.values()].map((list) => list.reduce((n, e) => n + e.partitions.length, 0));

/** Topics t0..t{k-1} with partition counts; members subscribing to all of them. */
const homogeneousInput = fc
  .record({
    partitionCounts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 }),
    memberCount: fc.integer({ min: 1, max: 7 }),
  })
  .map(({ partitionCounts, memberCount }) => {
    const topics = partitionCounts.map((_, i) => `t${i}`);
    const partitionsPerTopic = new Map(partitionCounts.map((count, i) => [`t${i}`, count]));
    const members = Array.from({ length: memberCount }, (_, i) => member(`m${i}`, topics));
    return { members, partitionsPerTopic } satisfies AssignorInput;
  });

function checkExactlyOnce(input: AssignorInput, assignment: Map<string, TopicPartitions[]>) {
  const keys = flat(assignment).map((e) => e.key);
  const expected = [...input.partitionsPerTopic].flatMap(([topic, count]) =>
    input.members.some((m) => m.subscription.topics.includes(topic))
      ? Array.from({ length: count }, (_, p) => `${topic}/${p}`)
      : [],
  );
  return (
    keys.length === expected.length &&
    new Set(keys).size === keys.length &&
    expected.every((k) => keys.includes(k))
  );
}

for (const assignor of [
  rangeAssignor,
  roundRobinAssignor,
  cooperativeStickyAssignor,
] as Assignor[]) {
  test(`${assignor.name}: every partition assigned exactly once, deterministic in member order`, (t) => {
    fc.assert(
      fc.property(homogeneousInput, (input) => {
        const first = assignor.assign(input);
        const shuffled = assignor.assign({ ...input, members: [...input.members].reverse() });
        return (
          checkExactlyOnce(input, first) &&
          JSON.stringify([...first].sort()) === JSON.stringify([...shuffled].sort())
        );
      }),
    );
    t.pass();
  });

  test(`${assignor.name}: only subscribed topics go to a member`, (t) => {
    const input = {
      members: [member('a', ['x']), member('b', ['x', 'y']), member('c', ['y'])],
      partitionsPerTopic: new Map([
        ['x', 3],
        ['y', 4],
      ]),
    };
    const assignment = assignor.assign(input);
    t.true(checkExactlyOnce(input, assignment));
    for (const [id, list] of assignment) {
      const topics = input.members.find((m) => m.memberId === id)!.subscription.topics;
      t.true(list.every((e) => topics.includes(e.topic)));
    }
  });
}

test('roundrobin and cooperative-sticky balance within 1 for equal subscriptions', (t) => {
  fc.assert(
    fc.property(homogeneousInput, (input) => {
      for (const assignor of [roundRobinAssignor, cooperativeStickyAssignor]) {
        const c = counts(assignor.assign(input));
        if (Math.max(...c) - Math.min(...c) > 1) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('range: contiguous ranges per topic, the first members get the extra', (t) => {
  const assignment = rangeAssignor.assign({
    members: [member('b', ['t']), member('a', ['t'])],
    partitionsPerTopic: new Map([['t', 5]]),
  });
  t.deepEqual(assignment.get('a'), [{ topic: 't', partitions: [0, 1, 2] }]);
  t.deepEqual(assignment.get('b'), [{ topic: 't', partitions: [3, 4] }]);
});

/** Ownership before a rebalance: a random previous assignment among old and current members. */
const stickyInput = fc
  .record({
    partitions: fc.integer({ min: 1, max: 30 }),
    stayers: fc.integer({ min: 1, max: 6 }),
    joiners: fc.integer({ min: 0, max: 3 }),
    leavers: fc.integer({ min: 0, max: 3 }),
    seed: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
  })
  .map(({ partitions, stayers, joiners, leavers, seed }) => {
    const owned = new Map<string, number[]>();
    const previous = stayers + leavers;
    for (let p = 0; p < partitions; p += 1) {
      const owner = `m${(seed[p] ?? 0) % previous}`;
      owned.set(owner, [...(owned.get(owner) ?? []), p]);
    }
    const members = [
      ...Array.from({ length: stayers }, (_, i) => {
        const mine = owned.get(`m${i}`) ?? [];
        return member(`m${i}`, ['t'], mine.length ? [{ topic: 't', partitions: mine }] : []);
      }),
      ...Array.from({ length: joiners }, (_, i) => member(`new${i}`, ['t'])),
    ];
    return { members, partitionsPerTopic: new Map([['t', partitions]]) } satisfies AssignorInput;
  });

/** The fewest partitions that must change owner to reach a balance within 1 (brute force). */
function minimalMoves(input: AssignorInput): number {
  const total = input.partitionsPerTopic.get('t') ?? 0;
  const owned = input.members.map((m) =>
    m.subscription.ownedPartitions.reduce((n, e) => n + e.partitions.length, 0),
  );
  const n = owned.length;
  const floor = Math.floor(total / n);
  const extra = total % n;
  let bestKept = 0;
  for (let mask = 0; mask < 1 << n; mask += 1) {
    let bits = 0;
    for (let i = 0; i < n; i += 1) if (mask & (1 << i)) bits += 1;
    if (bits !== extra) continue;
    let kept = 0;
    for (let i = 0; i < n; i += 1)
      kept += Math.min(owned[i] ?? 0, floor + (mask & (1 << i) ? 1 : 0));
    bestKept = Math.max(bestKept, kept);
  }
  return total - bestKept;
}

test('cooperative-sticky: the target keeps as many owned partitions as balance allows', (t) => {
  fc.assert(
    fc.property(stickyInput, (input) => {
      const target = targetAssignment(input);
      const before = new Map<string, string>();
      for (const m of input.members) {
        for (const e of m.subscription.ownedPartitions)
          for (const p of e.partitions) before.set(`t/${p}`, m.memberId);
      }
      const moved = flat(target).filter((e) => before.get(e.key) !== e.id).length;
      const c = counts(target);
      return moved === minimalMoves(input) && Math.max(...c) - Math.min(...c) <= 1;
    }),
  );
  t.pass();
});

test('cooperative-sticky: two generations complete a balanced assignment with never two owners at once', (t) => {
  fc.assert(
    fc.property(stickyInput, (input) => {
      // Generation g: owners keep what they keep; moving partitions are held back.
      const first = cooperativeStickyAssignor.assign(input);
      const owners = new Map<string, string>();
      for (const m of input.members) {
        for (const e of m.subscription.ownedPartitions)
          for (const p of e.partitions) owners.set(`t/${p}`, m.memberId);
      }
      for (const { id, key } of flat(first)) {
        const owner = owners.get(key);
        if (owner !== undefined && owner !== id) return false; // would be two owners
      }
      // Members revoke what they lost and rejoin owning exactly their generation-g assignment.
      const secondInput = {
        ...input,
        members: input.members.map((m) =>
          member(m.memberId, ['t'], first.get(m.memberId) ?? [], 2),
        ),
      };
      const second = cooperativeStickyAssignor.assign(secondInput);
      // Nothing is held back any more, everything is assigned once, and it is balanced.
      const nothingHeld =
        JSON.stringify([...second].sort()) ===
        JSON.stringify([...targetAssignment(secondInput)].sort());
      const c = counts(second);
      return nothingHeld && checkExactlyOnce(input, second) && Math.max(...c) - Math.min(...c) <= 1;
    }),
  );
  t.pass();
});

test('cooperative-sticky: a member that leaves only moves its own partitions', (t) => {
  const owned = (ps: number[]) => [{ topic: 't', partitions: ps }];
  const input = {
    members: [member('a', ['t'], owned([0, 1, 2])), member('b', ['t'], owned([3, 4, 5]))],
    partitionsPerTopic: new Map([['t', 9]]), // c owned 6, 7, 8 and left
  };
  const assignment = cooperativeStickyAssignor.assign(input);
  t.deepEqual(assignment.get('a')?.[0]?.partitions.slice(0, 3), [0, 1, 2]);
  t.deepEqual(assignment.get('b')?.[0]?.partitions.slice(0, 3), [3, 4, 5]);
  t.is(
    counts(assignment).reduce((a, b) => a + b, 0),
    9,
    'orphans are assigned at once',
  );
});

test('cooperative-sticky: a stale claim loses to the claim of a newer generation', (t) => {
  const input = {
    members: [
      member('a', ['t'], [{ topic: 't', partitions: [0] }], 3),
      member('b', ['t'], [{ topic: 't', partitions: [0, 1] }], 2),
    ],
    partitionsPerTopic: new Map([['t', 2]]),
  };
  const assignment = cooperativeStickyAssignor.assign(input);
  t.deepEqual(assignment.get('a'), [{ topic: 't', partitions: [0] }]);
  t.deepEqual(assignment.get('b'), [{ topic: 't', partitions: [1] }]);
});

test('cooperative-sticky with differing subscriptions assigns everything to eligible members, evenly where possible', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.subarray(['x', 'y', 'z'], { minLength: 1 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 3, maxLength: 3 }),
      (subscriptions, partitionCounts) => {
        const input = {
          members: subscriptions.map((topics, i) => member(`m${i}`, topics)),
          partitionsPerTopic: new Map(
            ['x', 'y', 'z'].map((topic, i) => [topic, partitionCounts[i] ?? 1]),
          ),
        };
        const assignment = cooperativeStickyAssignor.assign(input);
        if (!checkExactlyOnce(input, assignment)) return false;
        return [...assignment].every(([id, list]) => {
          const topics = input.members.find((m) => m.memberId === id)!.subscription.topics;
          return list.every((e) => topics.includes(e.topic));
        });
      },
    ),
  );
  t.pass();
});
