import test from 'ava';
import type { CheckerName } from '../src/checkers/check-result.ts';
import { type CheckReport, checkHistory } from '../src/checkers/index.ts';
import { HistoryBuilder } from './support/history-builder.ts';

/** Sends 1,2,3 to partition 0 and 4 to partition 1; 5 times out unapplied, 6 fails. */
function writes(h = new HistoryBuilder()): HistoryBuilder {
  return h
    .send(0, 1, { offset: 0 })
    .send(0, 2, { offset: 1 })
    .send(0, 3, { offset: 2 })
    .send(1, 4, { partition: 1, offset: 0 })
    .send(1, 5, { outcome: 'info' })
    .send(2, 6, { outcome: 'fail' });
}

function failed(report: CheckReport): CheckerName[] {
  return report.results
    .filter((r) => !r.valid)
    .map((r) => r.checker)
    .sort();
}

function result(report: CheckReport, name: CheckerName) {
  const found = report.results.find((r) => r.checker === name);
  if (!found) throw new Error(`no result for ${name}`);
  return found;
}

test('a clean history passes every checker', (t) => {
  const h = writes()
    .poll(7, [
      [0, 0, 1],
      [0, 1, 2],
    ])
    .poll(7, [
      [0, 2, 3],
      [1, 0, 4],
    ])
    .readBack(8, 0, [1, 2, 3])
    .readBack(8, 1, [4])
    .readBack(9, 0, [1, 2, 3])
    .readBack(9, 1, [4]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), []);
  t.is(result(report, 'lost-write').checked, 4);
  t.true(result(report, 'inconsistent-offsets').checked >= 4);
});

test('an indeterminate send may appear once', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3, 5]).readBack(8, 1, [4]);
  t.deepEqual(failed(checkHistory(h.ops)), []);
});

test('lost-write: an acknowledged record missing from a complete read-back', (t) => {
  const h = writes()
    .readBack(8, 0, [1, 3], { offsets: [0, 2] })
    .readBack(8, 1, [4]);
  const report = checkHistory(h.ops);
  const lost = result(report, 'lost-write');
  t.false(lost.valid);
  t.is(lost.count, 1);
  t.like(lost.examples[0], { value: 2, offset: 1 });
  t.true(failed(report).includes('reader-divergence')); // the gap at offset 1
});

test('lost-write: a poll past the acknowledged offset is evidence without a read-back', (t) => {
  const h = writes().poll(7, [
    [0, 0, 1],
    [0, 2, 3],
  ]);
  const report = checkHistory(h.ops);
  t.is(result(report, 'lost-write').count, 1);
  // The ack says offset 1 holds value 2, so the consumer also skipped a record.
  t.deepEqual(failed(report), ['lost-write', 'poll-skip', 'unseen']); // partition 1 was never read
});

test('unseen: an acknowledged record no reader covered', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['unseen']);
  t.like(result(report, 'unseen').examples[0], { value: 4, partition: 1 });
});

test('duplicate: one value at two offsets', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3, 2]).readBack(8, 1, [4]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['duplicate']);
  t.deepEqual((result(report, 'duplicate').examples[0] as { positions: string[] }).positions, [
    't/0@1',
    't/0@3',
  ]);
});

test('duplicate: an indeterminate send that appears twice', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3, 5]).readBack(8, 1, [4, 5]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['duplicate']);
  t.like(result(report, 'duplicate').examples[0], { value: 5, sendOutcome: 'info' });
});

test('reordered: a reader that sees two records swapped', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3]).readBack(9, 0, [1, 3, 2]).readBack(9, 1, [4]);
  const report = checkHistory(h.ops);
  // Across readers, 2 and 3 each sit at two offsets, and two offsets hold two values each.
  t.deepEqual(failed(report), ['duplicate', 'inconsistent-offsets', 'reader-divergence']);
  t.like(result(report, 'reader-divergence').examples[0], { kind: 'order' });
  t.is(result(report, 'inconsistent-offsets').count, 2);
});

test('inconsistent-offsets: readers disagree on the value at one offset', (t) => {
  const h = writes()
    .send(3, 7, { offset: 3 })
    .readBack(8, 0, [1, 2, 3, 7])
    .readBack(9, 0, [1, 2, 3, 5])
    .readBack(9, 1, [4]);
  const report = checkHistory(h.ops);
  t.true(failed(report).includes('inconsistent-offsets'));
  t.like(result(report, 'inconsistent-offsets').examples[0], { position: 't/0@3' });
});

test('nonmonotonic-send: a producer acknowledged at a lower offset than before', (t) => {
  const h = new HistoryBuilder()
    .send(0, 1, { offset: 1 })
    .send(0, 2, { offset: 0 })
    .readBack(8, 0, [2, 1]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['nonmonotonic-send']);
});

test('a pipelined send acknowledged in call order passes every checker', (t) => {
  const h = new HistoryBuilder()
    .send(0, 1, { offset: 0 })
    .sendPipelined(0, [2, 3, 4], { offsets: [1, 2, 3] })
    .readBack(8, 0, [1, 2, 3, 4]);
  t.deepEqual(failed(checkHistory(h.ops)), []);
});

test('nonmonotonic-send: a pipelined send whose later call was written first', (t) => {
  const h = new HistoryBuilder()
    .sendPipelined(0, [1, 2, 3], { offsets: [0, 2, 1] })
    .readBack(8, 0, [1, 3, 2]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['nonmonotonic-send']);
  t.like(result(report, 'nonmonotonic-send').examples[0], {
    previous: { value: 2, offset: 2 },
    next: { value: 3, offset: 1 },
  });
});

test('a pipelined send that ended indeterminate may or may not have written each value', (t) => {
  const h = new HistoryBuilder()
    .sendPipelined(0, [1, 2, 3], { outcome: 'info' })
    .readBack(8, 0, [1, 3]);
  t.deepEqual(failed(checkHistory(h.ops)), []);
});

test('aborted-read: a value of a pipelined send that definitely failed', (t) => {
  const h = new HistoryBuilder().sendPipelined(0, [1, 2], { outcome: 'fail' }).readBack(8, 0, [2]);
  t.deepEqual(failed(checkHistory(h.ops)), ['aborted-read']);
});

test('nonmonotonic-poll: a consumer goes back without being reassigned', (t) => {
  const h = writes()
    .poll(7, [
      [0, 0, 1],
      [0, 1, 2],
    ])
    .poll(7, [[0, 1, 2]])
    .readBack(8, 0, [1, 2, 3])
    .readBack(8, 1, [4]);
  t.deepEqual(failed(checkHistory(h.ops)), ['nonmonotonic-poll']);
});

test('nonmonotonic-poll: a reassignment may rewind the consumer', (t) => {
  const h = writes()
    .poll(7, [
      [0, 0, 1],
      [0, 1, 2],
    ])
    .assign(7, 'g', 2, 'm7', [0])
    .poll(7, [[0, 1, 2]])
    .readBack(8, 0, [1, 2, 3])
    .readBack(8, 1, [4]);
  t.deepEqual(failed(checkHistory(h.ops)), []);
});

test('poll-skip: a consumer jumps over an existing offset', (t) => {
  const h = writes()
    .poll(7, [[0, 0, 1]])
    .poll(7, [[0, 2, 3]])
    .readBack(8, 0, [1, 2, 3])
    .readBack(8, 1, [4]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['poll-skip']);
  t.deepEqual((result(report, 'poll-skip').examples[0] as { skipped: number[] }).skipped, [1]);
});

test('phantom: a value nobody sent', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3, 99]).readBack(8, 1, [4]);
  t.deepEqual(failed(checkHistory(h.ops)), ['phantom']);
});

test('aborted-read: a value whose send certainly failed', (t) => {
  const h = writes().readBack(8, 0, [1, 2, 3, 6]).readBack(8, 1, [4]);
  t.deepEqual(failed(checkHistory(h.ops)), ['aborted-read']);
});

test('reader-divergence: a later complete read-back that ends earlier (the log shrank)', (t) => {
  const h = writes()
    .send(3, 7, { outcome: 'info' })
    .readBack(8, 0, [1, 2, 3, 7])
    .readBack(9, 0, [1, 2, 3])
    .readBack(9, 1, [4]);
  const report = checkHistory(h.ops);
  // 7 was read, so it existed: its disappearance is also a lost write.
  t.deepEqual(failed(report), ['lost-write', 'reader-divergence']);
  t.like(result(report, 'reader-divergence').examples[0], { kind: 'shrunk' });
});

test('lost-write: a record a consumer saw that a later complete read-back lacks', (t) => {
  const h = writes()
    .send(3, 7, { outcome: 'info' })
    .poll(7, [
      [0, 0, 1],
      [0, 1, 2],
      [0, 2, 3],
      [0, 3, 7],
    ])
    .readBack(8, 0, [1, 2, 3])
    .readBack(8, 1, [4]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['lost-write']);
  t.like(result(report, 'lost-write').examples[0], { value: 7, acknowledged: false });
});

test('lost-write: a read-back that started before the acknowledgement is no evidence', (t) => {
  const h = new HistoryBuilder()
    .invoke(8, { f: 'read-back', value: { topic: 't', partition: 0 } })
    .send(0, 1, { offset: 0 })
    .complete(8, 'ok', {
      f: 'read-back',
      value: { topic: 't', partition: 0, records: [], complete: true },
    })
    .readBack(9, 0, [1]);
  t.deepEqual(failed(checkHistory(h.ops)), []);
});

test('reader-divergence: a gap in one reader', (t) => {
  const h = writes()
    .readBack(8, 0, [1, 2, 3])
    .readBack(9, 0, [1, 2], { offsets: [0, 1] })
    .readBack(9, 0, [3], { offsets: [5], offsetFirst: 2, complete: false })
    .readBack(8, 1, [4]);
  const report = checkHistory(h.ops);
  t.true(failed(report).includes('reader-divergence'));
  t.like(result(report, 'reader-divergence').examples[0], { kind: 'gap', expectedOffset: 2 });
});

function groupHistory(): HistoryBuilder {
  return writes()
    .assign(10, 'g', 1, 'a', [0])
    .assign(11, 'g', 1, 'b', [1])
    .poll(
      10,
      [
        [0, 0, 1],
        [0, 1, 2],
      ],
      'g',
    )
    .commit(10, 'g', 0, 2)
    .poll(11, [[1, 0, 4]], 'g')
    .commit(11, 'g', 1, 1)
    .assign(10, 'g', 2, 'a', [0, 1])
    .poll(10, [[0, 2, 3]], 'g')
    .commit(10, 'g', 0, 3)
    .fetchOffset(12, 'g', 0, 3)
    .readBack(8, 0, [1, 2, 3])
    .readBack(8, 1, [4]);
}

test('groups: a clean group history passes', (t) => {
  t.deepEqual(failed(checkHistory(groupHistory().ops)), []);
});

test('committed-undelivered: a commit past a record the group never received', (t) => {
  const h = groupHistory().commit(11, 'g', 1, 1).assign(13, 'h', 1, 'x', [0]).commit(13, 'h', 0, 2);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['committed-undelivered']);
  t.is(result(report, 'committed-undelivered').count, 2); // offsets 0 and 1 for group h
});

test('nonmonotonic-commit: a committed offset read lower than an earlier commit', (t) => {
  const h = groupHistory().fetchOffset(12, 'g', 0, 2);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['nonmonotonic-commit']);
});

test('nonmonotonic-commit: a later commit lower than an earlier one', (t) => {
  const h = groupHistory().commit(10, 'g', 1, 0);
  t.deepEqual(failed(checkHistory(h.ops)), ['nonmonotonic-commit']);
});

test('double-ownership: two members own one partition in one generation', (t) => {
  const h = groupHistory().assign(11, 'g', 2, 'b', [1]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['double-ownership']);
  t.like(result(report, 'double-ownership').examples[0], { assignment: 'g gen 2 t/1' });
});

function metadataHistory(): HistoryBuilder {
  return new HistoryBuilder()
    .topicOp(0, 'create-topic', 'a')
    .topicOp(0, 'create-topic', 'b')
    .topicOp(1, 'delete-topic', 'b')
    .topicOp(1, 'create-topic', 'c', 'info')
    .topicOp(1, 'create-topic', 'd', 'fail');
}

test('metadata: nodes agreeing with the acknowledged operations pass', (t) => {
  const topics = [{ topic: 'a', partitions: 1 }];
  const h = metadataHistory().describe(5, 'n1', topics).describe(5, 'n2', topics);
  t.deepEqual(failed(checkHistory(h.ops)), []);
  const withC = [...topics, { topic: 'c', partitions: 1 }];
  const h2 = metadataHistory().describe(5, 'n1', withC).describe(5, 'n2', withC);
  t.deepEqual(failed(checkHistory(h2.ops)), []);
});

test('metadata-divergence: nodes disagree, a created topic missing, a deleted topic present', (t) => {
  const h = metadataHistory()
    .describe(5, 'n1', [{ topic: 'a', partitions: 1 }])
    .describe(5, 'n2', [{ topic: 'b', partitions: 1 }]);
  const report = checkHistory(h.ops);
  t.deepEqual(failed(report), ['metadata-divergence']);
  const kinds = result(report, 'metadata-divergence').examples.map(
    (e) => (e as { kind: string }).kind,
  );
  t.deepEqual(kinds.sort(), ['created-missing', 'deleted-present', 'nodes-disagree']);
});

test('metadata-divergence: a client reading metadata right after its acknowledged create or delete must see it', (t) => {
  const topicOp = (
    h: HistoryBuilder,
    process: number,
    f: 'create-topic' | 'delete-topic',
    topic: string,
    readBack?: 'listed' | 'unlisted',
  ) => {
    h.invoke(process, { f, value: { topic } });
    return h.complete(process, 'ok', {
      f,
      value: readBack === undefined ? { topic } : { topic, readBack },
    });
  };
  const fine = new HistoryBuilder();
  topicOp(fine, 0, 'create-topic', 'a', 'listed');
  topicOp(fine, 0, 'create-topic', 'b', 'listed');
  topicOp(fine, 1, 'delete-topic', 'b', 'unlisted');
  topicOp(fine, 1, 'create-topic', 'c'); // its read failed: nothing to check
  t.deepEqual(failed(checkHistory(fine.ops)), []);

  const stale = new HistoryBuilder();
  topicOp(stale, 0, 'create-topic', 'a', 'unlisted');
  topicOp(stale, 0, 'create-topic', 'b', 'listed');
  topicOp(stale, 1, 'delete-topic', 'b', 'listed');
  const report = checkHistory(stale.ops);
  t.deepEqual(failed(report), ['metadata-divergence']);
  const kinds = result(report, 'metadata-divergence').examples.map(
    (e) => (e as { kind: string }).kind,
  );
  t.deepEqual(kinds.sort(), ['created-unlisted', 'deleted-listed']);
});
