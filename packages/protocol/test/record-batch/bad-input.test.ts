import test from 'ava';
import fc from 'fast-check';
import {
  BatchFrameStatus,
  CompressionType,
  CorruptBatchError,
  checkRecordBatch,
  crc32c,
  decodeRecords,
  encodeRecordBatch,
  frameBatch,
  initChecksums,
  inspectBatchFrame,
  ProtocolError,
  RecordBatchTooLargeError,
  readBatchFrame,
} from '../../src/index.ts';
import { recordsArbitrary } from './arbitraries.ts';
import { readGoldenHex } from './golden.ts';

const golden = readGoldenHex('two-records.hex');

test.before(async () => {
  await initChecksums();
});

function withFixedCrc(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset).setUint32(17, crc32c(batch, 21, batch.length));
  return batch;
}

test('flipping any bit the CRC covers is caught', (t) => {
  for (let at = 21; at < golden.length; at++) {
    for (let bit = 0; bit < 8; bit++) {
      const bytes = golden.slice();
      bytes[at]! ^= 1 << bit;
      t.throws(() => checkRecordBatch(bytes), { instanceOf: CorruptBatchError });
    }
  }
});

test('a damaged CRC field, magic or batchLength is caught', (t) => {
  for (const at of [16, 17, 18, 19, 20, 8, 9, 10, 11]) {
    const bytes = golden.slice();
    bytes[at]! ^= 0x40;
    t.throws(() => checkRecordBatch(bytes), { instanceOf: CorruptBatchError }, `byte ${at}`);
  }
});

test('truncated and extended batches are caught', (t) => {
  for (let length = 0; length < golden.length; length++) {
    t.throws(() => checkRecordBatch(golden.subarray(0, length)), { instanceOf: CorruptBatchError });
  }
  const longer = new Uint8Array(golden.length + 1);
  longer.set(golden);
  t.throws(() => checkRecordBatch(longer), { instanceOf: CorruptBatchError });
});

test('oversize batches are RecordBatchTooLargeError', (t) => {
  const error = t.throws(() => checkRecordBatch(golden, { sizeBytesMax: 83 }), {
    instanceOf: RecordBatchTooLargeError,
  });
  t.is(error?.sizeBytes, 84);
  t.false(error?.retriable);
});

test('random garbage never passes and only ever raises a ProtocolError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        checkRecordBatch(bytes);
        return false;
      } catch (error) {
        return error instanceof ProtocolError;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('mangled records with a recomputed CRC decode or raise CorruptBatchError, nothing else', (t) => {
  fc.assert(
    fc.property(
      recordsArbitrary,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (records, edits) => {
        const batch = encodeRecordBatch(records).slice();
        for (const [position, value] of edits) {
          batch[61 + (position % (batch.length - 61))] = value;
        }
        const fixed = withFixedCrc(batch);
        try {
          decodeRecords(checkRecordBatch(fixed));
          return true;
        } catch (error) {
          return error instanceof CorruptBatchError;
        }
      },
    ),
    { numRuns: 400 },
  );
  t.pass();
});

test('a gzip bomb stops at the decompression limit', (t) => {
  const big = new Uint8Array(4 * 1024 * 1024);
  const batch = encodeRecordBatch([{ key: null, value: big, timestamp: 0 }], {
    compression: CompressionType.gzip,
  });
  t.true(batch.length < 64 * 1024);
  t.throws(() => decodeRecords(batch, { decompressedBytesMax: 1024 * 1024 }), {
    instanceOf: RecordBatchTooLargeError,
  });
  t.is(decodeRecords(batch)[0]!.value!.length, big.length);
});

test('garbage that says gzip is CorruptBatchError', (t) => {
  const batch = encodeRecordBatch([{ key: null, value: new Uint8Array(50), timestamp: 0 }]);
  const view = new DataView(batch.buffer, batch.byteOffset);
  view.setInt16(21, CompressionType.gzip);
  withFixedCrc(batch);
  t.throws(() => decodeRecords(batch), { instanceOf: CorruptBatchError });
});

test('frames report truncation, bad lengths and bad checksums', (t) => {
  const frame = frameBatch(golden);
  t.is(inspectBatchFrame(frame, 0).status, BatchFrameStatus.ok);
  t.is(inspectBatchFrame(frame.subarray(0, 11), 0).status, BatchFrameStatus.truncated);
  t.is(inspectBatchFrame(frame.subarray(0, 50), 0).status, BatchFrameStatus.truncated);
  const badHash = frame.slice();
  badHash[40]! ^= 1;
  t.is(inspectBatchFrame(badHash, 0).status, BatchFrameStatus.badChecksum);
  const badLength = frame.slice();
  badLength[3] = 10;
  t.is(inspectBatchFrame(badLength, 0).status, BatchFrameStatus.badLength);
  const disagreeing = frame.slice();
  disagreeing[3] = 83; // frame says 83, the batch says 84
  t.is(inspectBatchFrame(disagreeing, 0).status, BatchFrameStatus.badLength);
  t.throws(() => readBatchFrame(badHash), { instanceOf: CorruptBatchError });
});
