import test from 'ava';
import fc from 'fast-check';
import { ByteReader } from '../../src/record-batch/byte-reader.ts';
import { CorruptBatchError } from '../../src/record-batch/errors.ts';
import {
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
} from '../../src/record-batch/varint.ts';

function varintHex(value: number): string {
  const bytes = new Uint8Array(5);
  return Buffer.from(bytes.subarray(0, writeVarint(bytes, 0, value))).toString('hex');
}

function varlongHex(value: number): string {
  const bytes = new Uint8Array(10);
  return Buffer.from(bytes.subarray(0, writeVarlong(bytes, 0, value))).toString('hex');
}

test('zigzag varints encode as Kafka and protobuf do', (t) => {
  t.is(varintHex(0), '00');
  t.is(varintHex(-1), '01');
  t.is(varintHex(1), '02');
  t.is(varintHex(-64), '7f');
  t.is(varintHex(64), '8001');
  t.is(varintHex(300), 'd804');
  t.is(varintHex(2 ** 31 - 1), 'feffffff0f');
  t.is(varintHex(-(2 ** 31)), 'ffffffff0f');
  t.is(varlongHex(100), 'c801');
  t.is(varlongHex(-1), '01');
  t.is(varlongHex(2 ** 31), '8080808010');
  t.is(varlongHex(Number.MAX_SAFE_INTEGER), 'feffffffffffff1f');
  t.is(varlongHex(Number.MIN_SAFE_INTEGER), 'fdffffffffffff1f');
});

test('varints round-trip and their sizes are exact', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
      const bytes = new Uint8Array(5);
      const end = writeVarint(bytes, 0, value);
      const reader = new ByteReader(bytes, 0, end);
      return end === varintSize(value) && reader.readVarint() === value && reader.remaining() === 0;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('varlongs round-trip over the whole safe integer range', (t) => {
  const safe = fc.oneof(
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.constantFrom(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0, -1, 63, 64, -65),
  );
  fc.assert(
    fc.property(safe, (value) => {
      const bytes = new Uint8Array(10);
      const end = writeVarlong(bytes, 0, value);
      const reader = new ByteReader(bytes, 0, end);
      return end === varlongSize(value) && reader.readVarlong() === value;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('truncated, overlong and oversized varints are CorruptBatchError', (t) => {
  const read = (hex: string, kind: 'varint' | 'varlong') => {
    const bytes = Buffer.from(hex, 'hex');
    const reader = new ByteReader(bytes, 0, bytes.length);
    return kind === 'varint' ? reader.readVarint() : reader.readVarlong();
  };
  t.throws(() => read('80', 'varint'), { instanceOf: CorruptBatchError });
  t.throws(() => read('ffffffff1f', 'varint'), { instanceOf: CorruptBatchError });
  t.throws(() => read('8080808080', 'varint'), { instanceOf: CorruptBatchError });
  t.throws(() => read('', 'varlong'), { instanceOf: CorruptBatchError });
  t.throws(() => read('ffffffffffffffffff01', 'varlong'), { instanceOf: CorruptBatchError });
  t.throws(() => read('8080808080808080808001', 'varlong'), { instanceOf: CorruptBatchError });
  // 2^53 is the first value a number cannot hold exactly.
  t.throws(() => read('8080808080808020', 'varlong'), { instanceOf: CorruptBatchError });
});
