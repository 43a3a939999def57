import { CompressionType, decodeRecords } from '@tributary/protocol';
import test from 'ava';
import { RecordAccumulator } from '../../src/producer/accumulator.ts';
import type { ProducerBatch } from '../../src/producer/batch.ts';
import { BufferPool } from '../../src/producer/buffer-pool.ts';
import { SendTracker } from '../../src/producer/send-tracker.ts';

const settings = { acks: 'quorum' as const, compression: CompressionType.none };
const record = (n: number) => ({ key: null, value: new Uint8Array([n]), timestamp: 1_000 + n });

function make(batchBytes = 100, lingerMs = 10) {
  const done: ProducerBatch[] = [];
  const accumulator = new RecordAccumulator({
    batchBytes,
    lingerMs,
    deliveryTimeoutMs: 60_000,
    onBatchDone: (batch) => done.push(batch),
  });
  accumulator.identity = { producerId: 7, producerEpoch: 0 };
  return { accumulator, done };
}

const sendable = (now: number, flushing = false) => ({
  nowMs: now,
  lingerMs: 10,
  batchBytes: 100,
  flushing,
  inflightMax: 5,
});

test('records fill a batch up to batchBytes, then a new one opens', (t) => {
  const { accumulator } = make(100);
  const tracker = new SendTracker();
  const full = [0, 1, 2, 3, 4].map((n) =>
    accumulator.append('t', 0, record(n), 30, settings, tracker, 0),
  );
  t.deepEqual(full, [false, false, false, false, false]);
  t.is(
    accumulator.queue('t', 0).pendingCount,
    2,
    '3 records of 30 bytes fit in 100, then a new batch',
  );
  t.deepEqual(
    accumulator.unfinished().map((batch) => batch.recordCount),
    [3, 2],
  );
});

test('a record bigger than a batch gets a batch of its own', (t) => {
  const { accumulator } = make(100);
  const full = accumulator.append('t', 0, record(1), 500, settings, new SendTracker(), 0);
  t.true(full);
  t.deepEqual(
    accumulator.unfinished().map((batch) => batch.recordCount),
    [1],
  );
});

test('a batch waits for linger unless full, flushing, or closed', (t) => {
  const { accumulator } = make(100, 10);
  accumulator.append('t', 0, record(1), 10, settings, new SendTracker(), 1_000);
  const queue = accumulator.queue('t', 0);
  t.is(queue.sendable(sendable(1_005)), undefined);
  t.truthy(queue.sendable(sendable(1_005, true)), 'flush skips the linger');
  t.truthy(queue.sendable(sendable(1_010)), 'linger over');
  t.is(accumulator.nextLingerDeadlineMs(), 1_010);
});

test('different acks or compression never share a batch', (t) => {
  const { accumulator } = make(1_000);
  const tracker = new SendTracker();
  accumulator.append('t', 0, record(1), 10, settings, tracker, 0);
  accumulator.append('t', 0, record(2), 10, { ...settings, acks: 'all' }, tracker, 0);
  accumulator.append(
    't',
    0,
    record(3),
    10,
    { ...settings, acks: 'all', compression: CompressionType.gzip },
    tracker,
    0,
  );
  const batches = accumulator.unfinished();
  t.deepEqual(
    batches.map((batch) => batch.recordCount),
    [1, 1, 1],
  );
  t.true(batches[0]!.closed, 'the earlier batch closes when another opens');
});

test('the first send encodes producer id, epoch and consecutive sequences; records survive', (t) => {
  const { accumulator } = make(50);
  const tracker = new SendTracker();
  for (let n = 0; n < 6; n += 1) accumulator.append('t', 0, record(n), 20, settings, tracker, 0);
  const queue = accumulator.queue('t', 0);
  const first = queue.sendable(sendable(100))!;
  queue.take(first, true);
  const second = queue.sendable(sendable(100))!;
  queue.take(second, true);
  t.deepEqual([first.producerId, first.producerEpoch, first.baseSequence], [7, 0, 0]);
  t.deepEqual([second.baseSequence], [2]);
  t.deepEqual(
    decodeRecords(second.bytes!).map((r) => [...(r.value ?? [])]),
    [[2], [3]],
  );
  t.is(decodeRecords(second.bytes!)[0]?.timestamp, 1_002);
});

test('acks 0 batches carry no producer id even from an idempotent producer', (t) => {
  const { accumulator } = make(1_000);
  accumulator.append('t', 0, record(1), 20, { ...settings, acks: 0 }, new SendTracker(), 0);
  const queue = accumulator.queue('t', 0);
  const batch = queue.sendable(sendable(100))!;
  queue.take(batch, true);
  t.is(batch.producerId, -1);
  t.is(batch.baseSequence, -1);
});

test('gzip batches decode to the same records', (t) => {
  const { accumulator } = make(10_000);
  const gzip = { ...settings, compression: CompressionType.gzip };
  for (let n = 0; n < 50; n += 1)
    accumulator.append('t', 0, record(n), 20, gzip, new SendTracker(), 0);
  const queue = accumulator.queue('t', 0);
  const batch = queue.sendable(sendable(100))!;
  queue.take(batch, true);
  t.is(decodeRecords(batch.bytes!).length, 50);
});

test('the buffer pool bounds reservations, waits in order, and honours aborts', async (t) => {
  const pool = new BufferPool(100);
  t.true(pool.tryReserve(60));
  t.false(pool.tryReserve(50));
  const never = new AbortController();
  const order: string[] = [];
  const first = pool.reserve(50, never.signal).then(() => order.push('first'));
  const aborted = new AbortController();
  const second = pool.reserve(90, aborted.signal);
  const third = pool.reserve(10, never.signal).then(() => order.push('third'));
  aborted.abort(new Error('gave up'));
  await t.throwsAsync(second, { message: 'gave up' });
  pool.release(60);
  await Promise.all([first, third]);
  t.deepEqual(order, ['first', 'third']);
  t.is(pool.usedBytes, 60);
  const closed = pool.reserve(100, never.signal);
  pool.close(new Error('closed'));
  await t.throwsAsync(closed, { message: 'closed' });
});
