import test from 'ava';
import fc from 'fast-check';
import {
  type BatchRecord,
  CompressionType,
  checkRecordBatch,
  crc32c,
  decodeRecords,
  encodeRecordBatch,
  InvalidRecordError,
  iterateRecords,
  RecordBatchBuilder,
  RecordCursor,
  type RecordInput,
  splitRecordBatches,
  TimestampType,
  UnsupportedCompressionError,
} from '../../src/index.ts';
import { recordsArbitrary } from './arbitraries.ts';

function plain(records: readonly (RecordInput | BatchRecord)[]) {
  return records.map((r) => ({
    key: r.key === null ? null : Buffer.from(r.key).toString('hex'),
    value: r.value === null ? null : Buffer.from(r.value).toString('hex'),
    timestamp: r.timestamp,
    headers: (r.headers ?? []).map((h) => [h.key, h.value && Buffer.from(h.value).toString('hex')]),
  }));
}

test('any records survive encode then decode, uncompressed and gzip', (t) => {
  fc.assert(
    fc.property(
      recordsArbitrary,
      fc.constantFrom(CompressionType.none, CompressionType.gzip),
      fc.integer({ min: 0, max: 2 ** 50 }),
      (records, compression, baseOffset) => {
        const batch = encodeRecordBatch(records, { compression, baseOffset });
        const view = checkRecordBatch(batch);
        const decoded = decodeRecords(view);
        const timestamps = records.map((r) => r.timestamp);
        return (
          view.compressionType === compression &&
          view.recordCount === records.length &&
          view.lastOffsetDelta === records.length - 1 &&
          view.baseTimestamp === records[0]!.timestamp &&
          view.maxTimestamp === Math.max(...timestamps) &&
          decoded.every((r, i) => r.offset === baseOffset + i) &&
          JSON.stringify(plain(decoded)) === JSON.stringify(plain(records))
        );
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test('explicit offset deltas and a kept lastOffsetDelta survive (as compaction writes them)', (t) => {
  const builder = new RecordBatchBuilder({ baseOffset: 100 });
  builder.append({ key: null, value: new Uint8Array([1]), timestamp: 5 }, 2);
  builder.append({ key: null, value: new Uint8Array([2]), timestamp: 4 }, 7);
  const view = checkRecordBatch(builder.build({ lastOffsetDelta: 9 }));
  t.is(view.lastOffset, 109);
  t.is(view.recordCount, 2);
  t.deepEqual(
    decodeRecords(view).map((r) => [r.offset, r.timestamp]),
    [
      [102, 5],
      [107, 4],
    ],
  );
});

test('offset deltas must rise', (t) => {
  const builder = new RecordBatchBuilder();
  builder.append({ key: null, value: null, timestamp: 0 }, 3);
  t.throws(() => builder.append({ key: null, value: null, timestamp: 0 }, 3), {
    instanceOf: InvalidRecordError,
  });
});

test('log-append-time batches give every record the batch time', (t) => {
  const batch = encodeRecordBatch(
    [
      { key: null, value: null, timestamp: 1 },
      { key: null, value: null, timestamp: 2 },
    ],
    { timestampType: TimestampType.logAppendTime, logAppendTime: 777 },
  );
  const view = checkRecordBatch(batch);
  t.is(view.timestampType, TimestampType.logAppendTime);
  t.is(view.maxTimestamp, 777);
  t.deepEqual(
    decodeRecords(view).map((r) => r.timestamp),
    [777, 777],
  );
});

test('flags and producer fields are written where Kafka puts them', (t) => {
  const batch = encodeRecordBatch([{ key: null, value: null, timestamp: 0 }], {
    transactional: true,
    control: true,
    producerId: 2 ** 40,
    producerEpoch: 9,
    baseSequence: 1234,
  });
  const view = checkRecordBatch(batch);
  t.is(view.attributes, 0x30);
  t.true(view.isTransactional);
  t.true(view.isControl);
  t.is(view.producerId, 2 ** 40);
  t.is(view.producerEpoch, 9);
  t.is(view.baseSequence, 1234);
});

test('the cursor reads fields without materialising records', (t) => {
  const batch = encodeRecordBatch([
    { key: new Uint8Array([1, 2]), value: null, timestamp: 10 },
    { key: null, value: new Uint8Array([3]), timestamp: 11 },
  ]);
  const cursor = new RecordCursor(checkRecordBatch(batch));
  t.true(cursor.next());
  t.is(cursor.keyLength, 2);
  t.true(cursor.isTombstone);
  t.true(cursor.next());
  t.is(cursor.keyLength, -1);
  t.false(cursor.isTombstone);
  t.deepEqual(cursor.value(), new Uint8Array([3]));
  t.false(cursor.next());
});

test('iterateRecords is lazy: it stops decoding when the consumer stops', (t) => {
  const records = Array.from({ length: 5 }, (_, i) => ({ key: null, value: null, timestamp: i }));
  const batch = encodeRecordBatch(records);
  const taken: number[] = [];
  for (const record of iterateRecords(batch)) {
    taken.push(record.offset);
    if (taken.length === 2) break;
  }
  t.deepEqual(taken, [0, 1]);
});

test('empty batches and unrepresentable records are refused with InvalidRecordError', (t) => {
  t.throws(() => encodeRecordBatch([]), { instanceOf: InvalidRecordError });
  t.throws(() => encodeRecordBatch([{ key: null, value: null, timestamp: 2 ** 53 }]), {
    instanceOf: InvalidRecordError,
  });
  t.throws(() => encodeRecordBatch([{ key: null, value: null, timestamp: -2 }]), {
    instanceOf: InvalidRecordError,
  });
  t.throws(
    () => encodeRecordBatch([{ key: null, value: null, timestamp: 0 }], { baseOffset: -5 }),
    {
      instanceOf: InvalidRecordError,
    },
  );
});

test('codecs without an implementation raise UnsupportedCompressionError', (t) => {
  for (const compression of [CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
    t.throws(() => encodeRecordBatch([{ key: null, value: null, timestamp: 0 }], { compression }), {
      instanceOf: UnsupportedCompressionError,
    });
  }
  // A stored batch that says snappy passes the header check but cannot be decoded.
  const batch = encodeRecordBatch([{ key: null, value: null, timestamp: 0 }]);
  const snappy = rewriteAttributes(batch, CompressionType.snappy);
  t.is(checkRecordBatch(snappy).compressionType, CompressionType.snappy);
  t.throws(() => decodeRecords(snappy), { instanceOf: UnsupportedCompressionError });
});

test('a codec table can supply the missing codecs', (t) => {
  const reversing = {
    type: CompressionType.lz4,
    compress: (bytes: Uint8Array) => bytes.slice().reverse(),
    decompress: (bytes: Uint8Array) => bytes.slice().reverse(),
  };
  const codecs = { [CompressionType.lz4]: reversing };
  const records = [{ key: new Uint8Array([1]), value: new Uint8Array([2, 3]), timestamp: 9 }];
  const batch = encodeRecordBatch(records, { compression: CompressionType.lz4, codecs });
  t.is(checkRecordBatch(batch).compressionType, CompressionType.lz4);
  t.deepEqual(plain(decodeRecords(batch, { codecs })), plain(records));
});

test('splitRecordBatches walks batches laid back to back', (t) => {
  const a = encodeRecordBatch([{ key: null, value: null, timestamp: 0 }]);
  const b = encodeRecordBatch([{ key: null, value: new Uint8Array(100), timestamp: 0 }]);
  const joined = Buffer.concat([a, b]);
  t.deepEqual(
    splitRecordBatches(joined).map((x) => x.length),
    [a.length, b.length],
  );
  t.throws(() => splitRecordBatches(joined.subarray(0, joined.length - 1)), {
    name: 'CorruptBatchError',
  });
});

function rewriteAttributes(batch: Uint8Array, attributes: number): Uint8Array {
  const copy = batch.slice();
  const view = new DataView(copy.buffer);
  view.setInt16(21, attributes);
  view.setUint32(17, crc32c(copy, 21, copy.length));
  return copy;
}
