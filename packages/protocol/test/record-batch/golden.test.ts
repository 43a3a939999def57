import test from 'ava';
import {
  checkRecordBatch,
  decodeRecords,
  encodeRecordBatch,
  frameBatch,
  initChecksums,
  RecordBatchView,
  readBatchFrame,
  stampBaseOffset,
  stampPartitionLeaderEpoch,
  xxhash64,
} from '../../src/index.ts';
import { readGoldenHex } from './golden.ts';

const text = new TextEncoder();
const golden = readGoldenHex('two-records.hex');

test.before(async () => {
  await initChecksums();
});

function goldenBatch(): Uint8Array {
  return encodeRecordBatch(
    [
      { key: text.encode('k'), value: text.encode('v1'), timestamp: 1_700_000_000_000 },
      {
        key: text.encode('k'),
        value: null,
        timestamp: 1_700_000_000_100,
        headers: [{ key: 'h', value: text.encode('x') }],
      },
    ],
    { partitionLeaderEpoch: 5, producerId: 42, producerEpoch: 3, baseSequence: 7 },
  );
}

test('the encoder produces the hand-checked golden bytes exactly', (t) => {
  t.is(golden.length, 84);
  t.deepEqual(Buffer.from(goldenBatch()).toString('hex'), Buffer.from(golden).toString('hex'));
});

test('the header view reads every field of the golden batch', (t) => {
  const view = checkRecordBatch(golden);
  t.is(view.baseOffset, 0);
  t.is(view.batchLength, 72);
  t.is(view.partitionLeaderEpoch, 5);
  t.is(view.magic, 2);
  t.is(view.crc, 0x7fd9332d);
  t.is(view.attributes, 0);
  t.is(view.compressionType, 0);
  t.is(view.timestampType, 0);
  t.false(view.isTransactional);
  t.false(view.isControl);
  t.is(view.lastOffsetDelta, 1);
  t.is(view.lastOffset, 1);
  t.is(view.baseTimestamp, 1_700_000_000_000);
  t.is(view.maxTimestamp, 1_700_000_000_100);
  t.is(view.producerId, 42);
  t.is(view.producerEpoch, 3);
  t.is(view.baseSequence, 7);
  t.is(view.recordCount, 2);
});

test('the golden batch decodes to its records', (t) => {
  const records = decodeRecords(golden).map((record) => ({
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : Buffer.from(record.key).toString(),
    value: record.value === null ? null : Buffer.from(record.value).toString(),
    headers: record.headers.map((h) => [h.key, h.value && Buffer.from(h.value).toString()]),
  }));
  t.deepEqual(records, [
    { offset: 0, timestamp: 1_700_000_000_000, key: 'k', value: 'v1', headers: [] },
    { offset: 1, timestamp: 1_700_000_000_100, key: 'k', value: null, headers: [['h', 'x']] },
  ]);
});

test('stampBaseOffset rewrites only bytes 0..7 and the CRC still holds', (t) => {
  const bytes = golden.slice();
  stampBaseOffset(bytes, 0x0102_0304_0506);
  t.is(Buffer.from(bytes.subarray(0, 8)).toString('hex'), '0000010203040506');
  t.deepEqual(bytes.subarray(8), golden.subarray(8));
  const view = checkRecordBatch(bytes);
  t.is(view.baseOffset, 0x0102_0304_0506);
  t.deepEqual(
    decodeRecords(view).map((r) => r.offset),
    [0x0102_0304_0506, 0x0102_0304_0507],
  );
  stampBaseOffset(bytes, Number.MAX_SAFE_INTEGER - 1);
  t.is(new RecordBatchView(bytes).baseOffset, Number.MAX_SAFE_INTEGER - 1);
});

test('stampBaseOffset refuses offsets a number cannot hold exactly', (t) => {
  const bytes = golden.slice();
  t.throws(() => stampBaseOffset(bytes, 2 ** 53), { message: /bad base offset/ });
  t.throws(() => stampBaseOffset(bytes, -1), { message: /bad base offset/ });
  t.throws(() => stampBaseOffset(bytes, 1.5), { message: /bad base offset/ });
  t.deepEqual(bytes, golden);
});

test('a stored int64 beyond the safe range reads as NaN and fails the check', (t) => {
  const bytes = golden.slice();
  bytes[0] = 0x7f; // baseOffset ~ 2^62
  t.true(Number.isNaN(new RecordBatchView(bytes).baseOffset));
  t.throws(() => checkRecordBatch(bytes), { name: 'CorruptBatchError' });
});

test('stampPartitionLeaderEpoch rewrites bytes 12..15 outside the CRC', (t) => {
  const bytes = golden.slice();
  stampPartitionLeaderEpoch(bytes, 0x01020304);
  t.is(Buffer.from(bytes.subarray(12, 16)).toString('hex'), '01020304');
  t.is(checkRecordBatch(bytes).partitionLeaderEpoch, 0x01020304);
});

test('the frame of the golden batch is length, xxhash64, bytes', (t) => {
  const frame = frameBatch(golden);
  t.is(frame.length, 12 + 84);
  t.is(Buffer.from(frame.subarray(0, 4)).toString('hex'), '00000054');
  const hash = new DataView(frame.buffer, frame.byteOffset + 4, 8).getBigUint64(0);
  t.is(hash, xxhash64(golden));
  t.deepEqual(readBatchFrame(frame), golden);
});

test('xxhash64 matches the published test vectors', (t) => {
  t.is(xxhash64(new Uint8Array()), 0xef46db3751d8e999n);
  t.is(xxhash64(text.encode('abc')), 0x44bc2cf5ad770999n);
});
