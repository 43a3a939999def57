/**
 * The requirement "the checkers catch real bugs", stated directly: one small history of a
 * producer, a consumer group member and two readers, clean, then with a lost, a duplicated
 * and a reordered record. Each checker runs alone on each history, so a checker that fails
 * only because another one found the anomaly cannot pass this test.
 */
import test from 'ava';
import type { CheckerName } from '../src/checkers/check-result.ts';
import { allCheckers, checkHistory } from '../src/checkers/index.ts';
import { HistoryBuilder } from './support/history-builder.ts';

const producer = 0;
const member = 7;
const readers = [8, 9] as const;

/** Values 1, 2, 3 acknowledged at offsets 0, 1, 2 of partition 0 (and 4 at partition 1). */
function acknowledged(order: 'in-order' | 'acks-reordered' = 'in-order'): HistoryBuilder {
  const [second, third] = order === 'in-order' ? [1, 2] : [2, 1];
  return new HistoryBuilder()
    .send(producer, 1, { offset: 0 })
    .send(producer, 2, { offset: second })
    .send(producer, 3, { offset: third })
    .send(producer, 4, { partition: 1, offset: 0 })
    .assign(member, 'g', 1, 'a', [0, 1]);
}

/** The member polls `polled` ([offset, value] on partition 0), commits past it, reads back. */
function observed(
  h: HistoryBuilder,
  polled: [offset: number, value: number][],
  readBacks: readonly (readonly number[])[],
  offsets?: number[],
): HistoryBuilder {
  h.poll(
    member,
    polled.map(([offset, value]) => [0, offset, value]),
    'g',
  )
    .poll(member, [[1, 0, 4]], 'g')
    .commit(member, 'g', 0, Math.max(...polled.map(([offset]) => offset)) + 1)
    .commit(member, 'g', 1, 1);
  readers.forEach((reader, i) => {
    h.readBack(reader, 0, [...readBacks[i]!], offsets ? { offsets } : {});
    h.readBack(reader, 1, [4]);
  });
  return h;
}

const histories = {
  clean: observed(
    acknowledged(),
    [
      [0, 1],
      [1, 2],
      [2, 3],
    ],
    [
      [1, 2, 3],
      [1, 2, 3],
    ],
  ),
  // Value 2, acknowledged at offset 1, is gone: readers and the consumer jump from 0 to 2.
  lost: observed(
    acknowledged(),
    [
      [0, 1],
      [2, 3],
    ],
    [
      [1, 3],
      [1, 3],
    ],
    [0, 2],
  ),
  // Value 2 is in the log twice, at offsets 1 and 3.
  duplicated: observed(
    acknowledged(),
    [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 2],
    ],
    [
      [1, 2, 3, 2],
      [1, 2, 3, 2],
    ],
  ),
  // 3 acknowledged before 2 at lower offsets, one reader and the consumer see 2 and 3
  // swapped relative to the other reader.
  reordered: observed(
    acknowledged('acks-reordered'),
    [
      [0, 1],
      [2, 2],
      [1, 3],
    ],
    [
      [1, 3, 2],
      [1, 2, 3],
    ],
  ),
};

/** Which checkers must fail on each history, each run on its own. */
const expected: Record<keyof typeof histories, readonly CheckerName[]> = {
  clean: [],
  lost: ['committed-undelivered', 'lost-write', 'poll-skip', 'reader-divergence'],
  duplicated: ['duplicate'],
  reordered: [
    'duplicate',
    'inconsistent-offsets',
    'nonmonotonic-poll',
    'nonmonotonic-send',
    'poll-skip', // the consumer's offset 0 -> 2 jumps over the record at 1
    'reader-divergence',
  ],
};

for (const [name, history] of Object.entries(histories)) {
  test(`each checker run alone on the ${name} history`, (t) => {
    const failing = allCheckers.filter(
      (checker) => !checkHistory(history.ops, [checker]).results[0]!.valid,
    );
    t.deepEqual(failing.sort(), [...expected[name as keyof typeof histories]].sort());
    t.is(checkHistory(history.ops).valid, failing.length === 0);
  });
}

test('every record checker catches at least one of lost, duplicated, reordered', (t) => {
  const caught = new Set(Object.values(expected).flat());
  for (const checker of [
    'lost-write',
    'duplicate',
    'inconsistent-offsets',
    'nonmonotonic-send',
    'nonmonotonic-poll',
    'poll-skip',
    'reader-divergence',
    'committed-undelivered',
  ] as const)
    t.true(caught.has(checker), `${checker} is shown to catch one of them`);
});
