/**
 * An encoded batch lives in memory lent by the producer's pool: it goes back only once the
 * batch is done and no Produce request carrying it is unsettled, so a request that copies
 * the bytes late (after the batch timed out) still reads the batch, not another one.
 */
import { CompressionType, FramePool, iterateRecords } from '@tributary/protocol';
import test from 'ava';
import { ProducerBatch } from '../../src/producer/batch.ts';
import { SendTracker } from '../../src/producer/send-tracker.ts';

const identity = { producerId: 7, producerEpoch: 0 };

function batchOf(values: string[], memory: FramePool | undefined): ProducerBatch {
  const batch = new ProducerBatch(
    't',
    0,
    { acks: 'quorum', compression: CompressionType.none },
    0,
    60_000,
  );
  batch.memory = memory;
  const tracker = new SendTracker();
  tracker.promise.catch(() => {});
  for (const value of values) {
    batch.append({ key: null, value: Buffer.from(value), timestamp: 1 }, 64, tracker);
  }
  tracker.seal();
  return batch;
}

const valuesOf = (bytes: Uint8Array) =>
  [...iterateRecords(bytes)].map((record) => Buffer.from(record.value ?? []).toString());

test('a failed batch keeps its memory while a request carrying it is unsettled', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 4 });
  const first = batchOf(['a', 'b'], pool);
  const bytes = first.encode(identity, 0);
  first.requestTaken();
  first.fail(new Error('delivery timeout'));
  // The request has not copied the bytes yet; another batch is encoded meanwhile.
  const second = batchOf(['x', 'y', 'z'], pool);
  const other = second.encode(identity, 2);
  t.not(other.buffer, bytes.buffer, 'the failed batch memory is not lent while a request holds it');
  t.deepEqual(valuesOf(bytes), ['a', 'b']);
  first.requestSettled();
  const third = batchOf(['q'], pool);
  t.is(third.encode(identity, 5).buffer, bytes.buffer, 'settled and done: the memory is reused');
});

test('a written batch gives its memory back when its request settles, not before', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 4 });
  const batch = batchOf(['a'], pool);
  const bytes = batch.encode(identity, 0);
  batch.requestTaken();
  batch.written(0, 0);
  t.not(batchOf(['b'], pool).encode(identity, 1).buffer, bytes.buffer);
  batch.requestSettled();
  t.is(batchOf(['c'], pool).encode(identity, 2).buffer, bytes.buffer);
});

test('re-encoding with a new sequence reads the old bytes and keeps the records', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 4 });
  const batch = batchOf(['a', 'b', 'c'], pool);
  const before = batch.encode(identity, 0);
  batch.requestTaken();
  batch.requestSettled(); // the attempt failed and will be retried with a new sequence
  batch.clearSequence();
  const after = batch.encode({ producerId: 7, producerEpoch: 1 }, 0);
  t.deepEqual(valuesOf(after), ['a', 'b', 'c']);
  t.not(after.buffer, before.buffer);
  // The old memory went back: the next batch gets it.
  t.is(batchOf(['d'], pool).encode(identity, 3).buffer, before.buffer);
});

test('compressed batches are not built in pooled memory', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 4 });
  const batch = new ProducerBatch(
    't',
    0,
    { acks: 'quorum', compression: CompressionType.gzip },
    0,
    60_000,
  );
  batch.memory = pool;
  const tracker = new SendTracker();
  batch.append({ key: null, value: Buffer.from('v'), timestamp: 1 }, 64, tracker);
  batch.encode(identity, 0);
  t.is(pool.owned, 0);
});
