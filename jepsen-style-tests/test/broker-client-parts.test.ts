/** The broker workload client's pure parts: delivery queue, values, acks, outcomes, health. */
import { IllegalStateError, InvalidArgumentError, TimeoutError } from '@tributary/client';
import test from 'ava';
import { DeliveryQueue } from '../src/broker/client/delivery-queue.ts';
import { writeFailed } from '../src/broker/client/outcomes.ts';
import { decodeRecordValue, encodeRecordValue } from '../src/broker/client/record-values.ts';
import { parseAcks } from '../src/broker/client/send-operation.ts';
import { judgeHealth, type NodeHealth } from '../src/broker/node-health.ts';

const record = (partition: number, offset: number) => ({
  topic: 't',
  partition,
  offset,
  value: offset,
});
const assignment = (generation: number) => ({
  group: 'g',
  generation,
  member: 'm',
  partitions: [{ topic: 't', partition: 0 }],
});
const never = new AbortController().signal;

test('a poll takes records up to the next assignment, then the assignments alone', async (t) => {
  const queue = new DeliveryQueue(10);
  await queue.pushRecord(record(0, 0));
  await queue.pushRecord(record(0, 1));
  queue.pushAssignment(assignment(2));
  queue.pushAssignment(assignment(3));
  await queue.pushRecord(record(0, 0));
  t.deepEqual(await queue.take(10, 0, never), {
    records: [record(0, 0), record(0, 1)],
    assignments: [],
  });
  t.deepEqual(await queue.take(10, 0, never), {
    records: [],
    assignments: [assignment(2), assignment(3)],
  });
  t.deepEqual((await queue.take(10, 0, never)).records, [record(0, 0)]);
  t.deepEqual(await queue.take(10, 0, never), { records: [], assignments: [] });
});

test('a poll takes at most its maximum; a full queue holds the handler until a poll makes room', async (t) => {
  const queue = new DeliveryQueue(2);
  await queue.pushRecord(record(0, 0));
  await queue.pushRecord(record(0, 1));
  let third = false;
  const pushing = queue.pushRecord(record(0, 2)).then(() => {
    third = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.false(third, 'the handler waits while the queue is full');
  t.deepEqual((await queue.take(1, 0, never)).records, [record(0, 0)]);
  await pushing;
  t.true(third);
  t.is(queue.recordCount, 2);
});

test('records of partitions given up are discarded; close releases a waiting handler', async (t) => {
  const queue = new DeliveryQueue(2);
  await queue.pushRecord(record(0, 0));
  await queue.pushRecord(record(1, 0));
  queue.discard((r) => r.partition === 0);
  t.is(queue.recordCount, 1);
  await queue.pushRecord(record(1, 1));
  const blocked = queue.pushRecord(record(1, 2));
  queue.close();
  await blocked;
  t.is(queue.recordCount, 0);
});

test('a poll on an empty queue waits for a record, up to its wait', async (t) => {
  const queue = new DeliveryQueue(2);
  setTimeout(() => void queue.pushRecord(record(0, 7)), 20);
  t.deepEqual((await queue.take(5, 5000, never)).records, [record(0, 7)]);
  const started = Date.now();
  t.deepEqual((await queue.take(5, 30, never)).records, []);
  t.true(Date.now() - started >= 25);
});

test('record values keep their type through the wire; foreign bytes become visible phantoms', (t) => {
  for (const value of [0, 17, -3.5, '17', 'x y', '']) {
    t.deepEqual(decodeRecordValue(Buffer.from(encodeRecordValue(value))), value);
  }
  t.is(decodeRecordValue(Buffer.from('{"a":1}')), '<raw>{"a":1}');
  t.is(decodeRecordValue(Buffer.from('not json')), '<raw>not json');
  t.is(decodeRecordValue(null), '<null>');
});

test('acks names map onto the client library', (t) => {
  t.is(parseAcks(undefined), 'quorum');
  t.is(parseAcks('0'), 0);
  t.is(parseAcks('leader'), 'leader');
  t.is(parseAcks('all'), 'all');
  t.throws(() => parseAcks('everyone'), { instanceOf: RangeError });
});

test('a write fails only when the library refused it before sending; otherwise it is unknown', (t) => {
  const value = { topic: 't', value: 1 };
  t.is(writeFailed(value, new InvalidArgumentError('bad')).type, 'fail');
  t.is(writeFailed(value, new IllegalStateError('not connected')).type, 'fail');
  t.is(writeFailed(value, new TimeoutError('send timed out')).type, 'info');
  t.is(writeFailed(value, new Error('anything else')).type, 'info');
});

const node = (
  name: string,
  healthy: boolean | undefined,
  problems: string[] = [],
  running = true,
): NodeHealth => ({
  node: name,
  running,
  healthy,
  problems,
});

test('health: every running node answers and is healthy, or degraded only by designed damage', (t) => {
  t.true(judgeHealth([node('n1', true), node('n2', true), node('n3', true)]).ready);
  const degraded = judgeHealth([
    node('n1', true),
    node('n2', true),
    node('n3', false, ['1 fenced partition replica(s)']),
  ]);
  t.true(degraded.ready);
  t.regex(degraded.note ?? '', /n3 degraded \(1 fenced/);
  const silent = judgeHealth([node('n1', true), node('n2', undefined), node('n3', true)]);
  t.false(silent.ready, 'a paused node has not recovered');
  const sick = judgeHealth([
    node('n1', true),
    node('n2', false, ['no metadata leader known']),
    node('n3', true),
  ]);
  t.false(sick.ready);
  t.regex(sick.reason ?? '', /no metadata leader/);
  const stopped = judgeHealth([
    node('n1', true),
    node('n2', false, ['not running'], false),
    node('n3', true),
  ]);
  t.true(stopped.ready, 'a node that refuses to start leaves a healthy majority');
  t.regex(stopped.note ?? '', /n2 not running/);
  const minority = judgeHealth([
    node('n1', true),
    node('n2', false, ['not running'], false),
    node('n3', false, ['raft storage failed: CORRUPT'], true),
  ]);
  t.false(minority.ready, 'one healthy node of three is not a majority');
  const unopened = judgeHealth([
    node('n1', true),
    node('n2', true),
    node('n3', false, ['2 fenced partition replica(s) whose data could not be opened']),
  ]);
  t.true(unopened.ready, 'damaged data a node refuses to open is designed damage');
  const broken = judgeHealth([
    node('n1', true),
    node('n2', true),
    node('n3', false, ['1 partition replica(s) failed to open: t/0: TailCache is not defined']),
  ]);
  t.false(broken.ready, 'a replica that fails to open for another reason is a fault');
});
