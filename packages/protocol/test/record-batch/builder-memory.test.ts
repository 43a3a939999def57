/**
 * The builder writes into memory that is not zero-filled (fresh or lent by a caller), so
 * every byte of the batch it returns must be written by it: the same records give the same
 * bytes whatever the memory held before.
 */
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { encodeRecordBatch, RecordBatchBuilder } from '../../src/index.ts';
import { recordsArbitrary } from './arbitraries.ts';

const options = { producerId: 9, producerEpoch: 1, baseSequence: 40 };

test('a batch built in dirty memory equals the batch built in fresh memory', (t) => {
  fc.assert(
    fc.property(recordsArbitrary, fc.integer({ min: 0, max: 255 }), (records, garbage) => {
      const expected = encodeRecordBatch(records, options);
      // Large enough for these records, so the builder never moves to fresh memory.
      const memory = new Uint8Array(64 * 1024).fill(garbage);
      const builder = new RecordBatchBuilder({ ...options, buffer: memory });
      for (const record of records) builder.append(record);
      const built = builder.build();
      assert.equal(built.buffer, memory.buffer, 'built in the lent memory');
      assert.deepStrictEqual(Buffer.from(built), Buffer.from(expected));
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('a batch that outgrows the lent memory moves to fresh memory, bytes unchanged', (t) => {
  const records = Array.from({ length: 50 }, (_, i) => ({
    key: null,
    value: new Uint8Array(100).fill(i),
    timestamp: 1_700_000_000_000 + i,
  }));
  const memory = new Uint8Array(256).fill(0xee);
  const builder = new RecordBatchBuilder({ ...options, buffer: memory });
  for (const record of records) builder.append(record);
  const built = builder.build();
  t.not(built.buffer, memory.buffer);
  t.deepEqual(Buffer.from(built), Buffer.from(encodeRecordBatch(records, options)));
});
