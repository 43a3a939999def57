import {
  BatchField,
  batchHeaderBytes,
  CorruptBatchError,
  checkRecordBatch,
  crc32c,
  encodeRecordBatch,
  stampBaseOffset,
} from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import {
  type DeliveryContext,
  type EachBatchPayload,
  type EachMessagePayload,
  iterate,
  runWorker,
} from '../../src/consumer/delivery.ts';
import { type ConsumerMessage, messageListOf, messagesOf } from '../../src/consumer/message.ts';
import { type FetchedChunk, MessageBuffer } from '../../src/consumer/message-buffer.ts';
import { PartitionStates } from '../../src/consumer/partition-states.ts';
import { eachBatchRecordsMax } from '../../src/limits.ts';

const earliest = { kind: 'earliest' } as const;

/** A stored batch of `values` starting at `baseOffset`. */
function batch(baseOffset: number, values: string[], headers = false): Uint8Array {
  const bytes = encodeRecordBatch(
    values.map((value, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(value),
      timestamp: 1_000 + i,
      ...(headers
        ? {
            headers: [
              { key: 'h', value: Buffer.from('1') },
              { key: 'h', value: Buffer.from('2') },
            ],
          }
        : {}),
    })),
  );
  stampBaseOffset(bytes, baseOffset);
  return bytes;
}

function chunk(
  states: PartitionStates,
  fromOffset: number,
  batches: Uint8Array[],
  nextOffset: number,
): FetchedChunk {
  const state = states.get('t', 0)!;
  return {
    topic: 't',
    partition: 0,
    epoch: state.epoch,
    batches,
    fromOffset,
    nextOffset,
    highWatermark: nextOffset,
    sizeBytes: batches.reduce((n, b) => n + b.byteLength, 0),
  };
}

test('messagesOf skips records before the position and exposes bigint offsets and headers', (t) => {
  const messages = [...messagesOf('t', 0, [batch(10, ['a', 'b', 'c'], true)], 11)];
  t.deepEqual(
    messages.map((m) => [m.offset, m.value?.toString(), m.timestamp]),
    [
      [11n, 'b', 1_001],
      [12n, 'c', 1_002],
    ],
  );
  t.deepEqual(
    (messages[0]!.headers.h as Buffer[]).map((b) => b.toString()),
    ['1', '2'],
  );
});

test('messageListOf gives what messagesOf yields, with Buffer keys and values over Buffer or plain bytes', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 5 }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.nat({ max: 25 }),
      fc.boolean(),
      fc.boolean(),
      (valueLists, fromOffset, asBuffers, withHeaders) => {
        let baseOffset = 0;
        const batches = valueLists.map((values) => {
          const bytes = batch(baseOffset, values, withHeaders);
          baseOffset += values.length;
          return asBuffers ? Buffer.from(bytes) : bytes;
        });
        const listed = messageListOf('t', 0, batches, fromOffset);
        const yielded = [...messagesOf('t', 0, batches, fromOffset)];
        // Messages are accessor objects: compare what they read as.
        const fields = (m: ConsumerMessage) => [m.offset, m.timestamp, m.key, m.value, m.headers];
        t.deepEqual(listed.map(fields), yielded.map(fields));
        t.is(listed.length, Math.max(0, baseOffset - fromOffset));
        for (const message of listed) {
          t.true(Buffer.isBuffer(message.key) && Buffer.isBuffer(message.value));
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('partition states: positions, pauses and removals change the epoch', (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, 'committed', earliest);
  const first = state.epoch;
  states.position(state, 5);
  t.is(state.fetchOffset, 5);
  t.not(state.epoch, first);
  state.fetchOffset = 9;
  state.consumedOffset = 7;
  states.setPaused(state, true);
  t.is(state.fetchOffset, 7, 'a pause drops what was fetched beyond the consumed position');
  state.highWatermark = 10;
  t.is(states.lag(state), 3);
  const before = state.epoch;
  t.is(states.remove({ topic: 't', partition: 0 }), state);
  t.not(state.epoch, before);
  t.is(states.size, 0);
});

test('the message buffer bounds bytes, hands out chunks in order, and skips locked partitions', async (t) => {
  let rooms = 0;
  const buffer = new MessageBuffer(100, () => (rooms += 1));
  const make = (partition: number, sizeBytes: number): FetchedChunk => ({
    topic: 't',
    partition,
    epoch: 1,
    batches: [],
    fromOffset: 0,
    nextOffset: 1,
    highWatermark: 1,
    sizeBytes,
  });
  buffer.push(make(0, 60));
  buffer.push(make(1, 60));
  t.false(buffer.hasRoom);
  t.true(buffer.untakenCount('t', 0) > 0);
  const signal = new AbortController().signal;
  const second = await buffer.take(signal, (key) => !key.endsWith('\u00000'));
  t.is(second.partition, 1);
  buffer.release(second);
  t.true(buffer.hasRoom);
  t.true(rooms > 0);
  const waiting = buffer.take(signal, (key) => key.endsWith('\u00002'));
  buffer.push(make(2, 10));
  t.is((await waiting).partition, 2);
  buffer.discard((c) => c.partition === 0);
  t.is(buffer.untakenCount('t', 0), 0);
  const aborted = new AbortController();
  const pending = buffer.take(aborted.signal);
  aborted.abort(new Error('stop'));
  await t.throwsAsync(pending, { message: 'stop' });
  buffer.close(new Error('closed'));
  await t.throwsAsync(buffer.take(signal), { message: 'closed' });
});

function context(
  states: PartitionStates,
  buffer: MessageBuffer,
  errors: unknown[] = [],
  recordsErrors: unknown[] = errors,
): DeliveryContext {
  const controller = new AbortController();
  let running = true;
  return {
    states,
    buffer,
    processing: new Map(),
    signal: controller.signal,
    isRunning: () => running,
    maybeAutoCommit: async () => {},
    onHandlerError: (_state, error) => {
      errors.push(error);
      running = false;
      controller.abort(new Error('stopped'));
    },
    onRecordsError: (_state, error) => {
      recordsErrors.push(error);
      running = false;
      controller.abort(new Error('stopped'));
    },
    pause: () => () => {},
  };
}

test('two chunks of one partition may wait; they are counted per partition and taken oldest first', async (t) => {
  const buffer = new MessageBuffer(1_000, () => {});
  const chunk = (partition: number, fromOffset: number): FetchedChunk => ({
    topic: 't',
    partition,
    epoch: 1,
    batches: [],
    fromOffset,
    nextOffset: fromOffset + 10,
    highWatermark: 100,
    sizeBytes: 10,
  });
  buffer.push(chunk(0, 0));
  buffer.push(chunk(1, 0));
  buffer.push(chunk(0, 10));
  t.is(buffer.untakenCount('t', 0), 2);
  t.is(buffer.untakenCount('t', 1), 1);
  t.is(buffer.untakenCount('t', 2), 0);
  const signal = new AbortController().signal;
  const onlyPartition0 = (key: string) => key.endsWith('\u00000');
  t.is((await buffer.take(signal, onlyPartition0)).fromOffset, 0);
  t.is(buffer.untakenCount('t', 0), 1);
  t.is((await buffer.take(signal, onlyPartition0)).fromOffset, 10);
  t.is(buffer.untakenCount('t', 0), 0);
});

test('the iterator marks a record consumed only when the next one is asked for', async (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
  states.position(state, 0);
  const buffer = new MessageBuffer(1 << 20, () => {});
  buffer.push(chunk(states, 0, [batch(0, ['a', 'b'])], 2));
  const iterator = iterate(context(states, buffer));
  t.is((await iterator.next()).value?.value?.toString(), 'a');
  t.is(state.consumedOffset, 0, 'the record handed out is not consumed yet');
  t.is((await iterator.next()).value?.value?.toString(), 'b');
  t.is(state.consumedOffset, 1);
  await iterator.return();
  t.is(state.consumedOffset, 1, 'the record we stopped on is not committed');
});

test('the iterator serves next() calls made before earlier ones settled, in order', async (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
  states.position(state, 0);
  const buffer = new MessageBuffer(1 << 20, () => {});
  const iterator = iterate(context(states, buffer));
  // Three asks while no chunk is there: they wait, and are answered in the order asked.
  const asked = [iterator.next(), iterator.next(), iterator.next()];
  buffer.push(chunk(states, 0, [batch(0, ['a', 'b'])], 2));
  buffer.push(chunk(states, 2, [batch(2, ['c'])], 3));
  const values = (await Promise.all(asked)).map((step) => step.value?.value?.toString());
  t.deepEqual(values, ['a', 'b', 'c']);
  t.is(state.consumedOffset, 2, 'the last record handed out is not consumed yet');
  await iterator.return();
  t.deepEqual(await iterator.next(), { done: true, value: undefined }, 'ended stays ended');
});

test('the iterator says how it ended: the consumer stopped running, or return() was called', async (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
  states.position(state, 0);
  const buffer = new MessageBuffer(1 << 20, () => {});
  buffer.push(chunk(states, 0, [batch(0, ['a', 'b'])], 2));
  const ends: [unknown, boolean][] = [];
  const onEnd = async (error: unknown, byReturn: boolean) => {
    ends.push([error, byReturn]);
    return { done: true as const, value: undefined };
  };
  let running = true;
  const stopping = iterate({ ...context(states, buffer), isRunning: () => running }, onEnd);
  t.is((await stopping.next()).value?.value?.toString(), 'a');
  // Stopped between two records (a failure stops the consumer this way): the iteration
  // ends there, and its end is told it was not asked for.
  running = false;
  t.deepEqual(await stopping.next(), { done: true, value: undefined });
  t.deepEqual(ends, [[undefined, false]]);
  t.is(state.consumedOffset, 1, 'the record handed out before the stop was consumed');

  running = true;
  buffer.push(chunk(states, 1, [batch(1, ['b'])], 2));
  const returning = iterate({ ...context(states, buffer), isRunning: () => running }, onEnd);
  t.is((await returning.next()).value?.value?.toString(), 'b');
  await returning.return();
  t.deepEqual(ends, [
    [undefined, false],
    [undefined, true],
  ]);
});

test('a seek during iteration stops records fetched before it', async (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
  states.position(state, 0);
  const buffer = new MessageBuffer(1 << 20, () => {});
  buffer.push(chunk(states, 0, [batch(0, ['a', 'b', 'c'])], 3));
  const iterator = iterate(context(states, buffer));
  await iterator.next();
  states.position(state, 100);
  buffer.push(chunk(states, 100, [batch(100, ['x'])], 101));
  const next = await iterator.next();
  t.is(next.value?.offset, 100n, 'records 1 and 2 of the old position are skipped');
  await iterator.return();
});

test('run workers process a chunk per partition and advance past gaps; a failing handler stops there', async (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
  states.position(state, 0);
  const buffer = new MessageBuffer(1 << 20, () => {});
  // Offsets 0-1, then a gap (compacted) up to 5.
  buffer.push(chunk(states, 0, [batch(0, ['a', 'b'])], 5));
  const seen: string[] = [];
  const errors: unknown[] = [];
  const ctx = context(states, buffer, errors);
  const worker = runWorker(ctx, {
    eachMessage: async ({ message }) => {
      seen.push(message.value!.toString());
      if (seen.length === 3) throw new Error('handler broke');
    },
    eachBatchAutoResolve: true,
  });
  while (state.consumedOffset < 5) await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(seen, ['a', 'b']);
  buffer.push(chunk(states, 5, [batch(5, ['f', 'g'])], 7));
  await worker;
  t.deepEqual(seen, ['a', 'b', 'f']);
  t.is(state.consumedOffset, 5, 'the failed record is not consumed');
  t.is((errors[0] as Error).message, 'handler broke');
});

/**
 * A batch whose CRC-32C is right but whose first record claims more bytes than there are:
 * what a faulty producer could store, since brokers check batch headers and CRCs only.
 */
function corruptRecordsBatch(baseOffset: number): Uint8Array {
  const bytes = batch(baseOffset, ['x', 'y']);
  bytes[batchHeaderBytes] = 0x7e; // the first record's length varint: 63 bytes
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(BatchField.crc, crc32c(bytes, BatchField.attributes, bytes.length));
  checkRecordBatch(bytes); // the header and CRC pass: only decoding the records finds it
  return bytes;
}

for (const mode of ['eachMessage', 'eachBatch'] as const) {
  test(`${mode}: a batch with corrupt records is reported and the worker lives on (regression: the worker's promise rejected)`, async (t) => {
    const states = new PartitionStates();
    const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
    states.position(state, 0);
    const buffer = new MessageBuffer(1 << 20, () => {});
    buffer.push(chunk(states, 0, [batch(0, ['a', 'b']), corruptRecordsBatch(2)], 4));
    const seen: string[] = [];
    const handlerErrors: unknown[] = [];
    const recordsErrors: unknown[] = [];
    const handlers =
      mode === 'eachMessage'
        ? {
            eachMessage: async ({ message }: EachMessagePayload) =>
              void seen.push(message.value!.toString()),
          }
        : {
            eachBatch: async ({ batch }: EachBatchPayload) => {
              for (const message of batch.messages) seen.push(message.value!.toString());
            },
          };
    const ctx = context(states, buffer, handlerErrors, recordsErrors);
    await t.notThrowsAsync(runWorker(ctx, { ...handlers, eachBatchAutoResolve: true }));
    t.deepEqual(handlerErrors, [], 'the handler did nothing wrong');
    t.is(recordsErrors.length, 1);
    t.true(recordsErrors[0] instanceof CorruptBatchError, String(recordsErrors[0]));
    t.deepEqual(seen, mode === 'eachMessage' ? ['a', 'b'] : []);
    t.is(
      state.consumedOffset,
      mode === 'eachMessage' ? 2 : 0,
      'nothing at or after the corrupt batch is consumed',
    );
  });
}

test('eachBatch gets a large chunk in slices of whole stored batches, in order; a failed slice stops there', async (t) => {
  const states = new PartitionStates();
  const state = states.add({ topic: 't', partition: 0 }, undefined, earliest);
  states.position(state, 0);
  const buffer = new MessageBuffer(1 << 30, () => {});
  const recordsPerBatch = Math.ceil(eachBatchRecordsMax * 0.6);
  const values = (base: number) => Array.from({ length: recordsPerBatch }, (_, i) => `${base + i}`);
  const batches = [0, 1, 2].map((index) =>
    batch(index * recordsPerBatch, values(index * recordsPerBatch)),
  );
  // Starts inside the first batch; the chunk ends after a gap of 5 offsets.
  buffer.push(chunk(states, 7, batches, 3 * recordsPerBatch + 5));
  const calls: { first: bigint | null; last: bigint; count: number; lag: bigint }[] = [];
  const ctx = context(states, buffer);
  const worker = runWorker(ctx, {
    eachBatch: async ({ batch }) => {
      const offsets = batch.messages.map((m) => m.offset);
      t.deepEqual(
        offsets.map((o) => Number(o) - Number(offsets[0])),
        offsets.map((_, i) => i),
      );
      calls.push({
        first: batch.firstOffset(),
        last: batch.lastOffset(),
        count: offsets.length,
        lag: batch.offsetLag(),
      });
      if (calls.length === 2) throw new Error('second slice failed');
    },
    eachBatchAutoResolve: true,
  });
  await worker;
  t.deepEqual(calls, [
    {
      first: 7n,
      last: BigInt(recordsPerBatch - 1),
      count: recordsPerBatch - 7,
      lag: BigInt(2 * recordsPerBatch + 5),
    },
    {
      first: BigInt(recordsPerBatch),
      last: BigInt(2 * recordsPerBatch - 1),
      count: recordsPerBatch,
      lag: BigInt(recordsPerBatch + 5),
    },
  ]);
  t.is(state.consumedOffset, recordsPerBatch, 'the first slice is consumed, the failed one is not');

  // Delivered again from there, the rest arrives whole, gap included.
  const again = new PartitionStates();
  const rest = again.add({ topic: 't', partition: 0 }, undefined, earliest);
  again.position(rest, recordsPerBatch);
  const restBuffer = new MessageBuffer(1 << 30, () => {});
  restBuffer.push(chunk(again, recordsPerBatch, batches.slice(1), 3 * recordsPerBatch + 5));
  const counts: number[] = [];
  const restCtx = context(again, restBuffer);
  const restWorker = runWorker(restCtx, {
    eachBatch: async ({ batch }) => void counts.push(batch.messages.length),
    eachBatchAutoResolve: true,
  });
  while (rest.consumedOffset < 3 * recordsPerBatch + 5) await new Promise((r) => setImmediate(r));
  t.deepEqual(counts, [recordsPerBatch, recordsPerBatch]);
  restCtx.onHandlerError(rest, new Error('stop the worker'));
  await restWorker;
});
