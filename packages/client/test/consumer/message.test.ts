/**
 * The consumer's messages against what the producer encoded: random batches (null keys and
 * values, repeated and null headers, gzip, log-append time, control batches, offset gaps)
 * decode to exactly their input, through both the list (eachBatch) and the generator
 * (eachMessage, iteration); corrupt records give typed errors, never an engine error.
 */

import { inspect } from 'node:util';
import {
  BatchField,
  batchHeaderBytes,
  CompressionType,
  crc32c,
  ProtocolError,
  RecordBatchBuilder,
  type RecordInput,
  stampBaseOffset,
  TimestampType,
} from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { type ConsumerMessage, messageListOf, messagesOf } from '../../src/consumer/message.ts';

interface BatchInput {
  readonly records: readonly RecordInput[];
  /** Added to each record's offset delta beyond the previous one (0: no gap). */
  readonly gaps: readonly number[];
  readonly gzip: boolean;
  readonly logAppendTime: number | null;
  readonly control: boolean;
}

const bytesOrNull = (maxLength: number) =>
  fc.option(fc.uint8Array({ maxLength }), { nil: null, freq: 4 });

const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: bytesOrNull(20),
  value: bytesOrNull(120),
  timestamp: fc.oneof(
    fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
    fc.integer({ min: -1, max: 2 ** 40 }),
  ),
  headers: fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'trace', 'ü'), value: bytesOrNull(8) }),
    { maxLength: 4 },
  ),
});

const batchArbitrary: fc.Arbitrary<BatchInput> = fc
  .array(fc.tuple(recordArbitrary, fc.oneof(fc.constant(0), fc.nat({ max: 3 }))), {
    minLength: 1,
    maxLength: 12,
  })
  .chain((pairs) =>
    fc.record({
      records: fc.constant(pairs.map(([record]) => record)),
      gaps: fc.constant(pairs.map(([, gap]) => gap)),
      gzip: fc.boolean(),
      logAppendTime: fc.option(fc.integer({ min: 0, max: 2 ** 42 }), { nil: null, freq: 3 }),
      control: fc.boolean(),
    }),
  );

/** Encodes the batches back to back from offset 0; returns their bytes and next offset. */
function encode(batches: readonly BatchInput[]): { bytes: Uint8Array[]; offsets: number[][] } {
  let baseOffset = 0;
  const bytes: Uint8Array[] = [];
  const offsets: number[][] = [];
  for (const input of batches) {
    const builder = new RecordBatchBuilder({
      compression: input.gzip ? CompressionType.gzip : CompressionType.none,
      control: input.control,
      ...(input.logAppendTime === null
        ? {}
        : { timestampType: TimestampType.logAppendTime, logAppendTime: input.logAppendTime }),
    });
    let delta = -1;
    const batchOffsets: number[] = [];
    input.records.forEach((record, index) => {
      delta += 1 + input.gaps[index]!;
      builder.append(record, delta);
      batchOffsets.push(baseOffset + delta);
    });
    const batch = builder.build();
    stampBaseOffset(batch, baseOffset);
    bytes.push(batch);
    offsets.push(batchOffsets);
    baseOffset += delta + 1;
  }
  return { bytes, offsets };
}

type Plain = [bigint, number, string | null, string | null, [string, string | string[]][]];

function hex(bytes: Uint8Array | null | undefined): string | null {
  return bytes === null || bytes === undefined ? null : Buffer.from(bytes).toString('hex');
}

/** What the application should see for one input record. */
function expected(record: RecordInput, offset: number, logAppendTime: number | null): Plain {
  const headers = new Map<string, string[]>();
  for (const header of record.headers ?? []) {
    headers.set(header.key, [...(headers.get(header.key) ?? []), hex(header.value) ?? '']);
  }
  return [
    BigInt(offset),
    logAppendTime ?? record.timestamp,
    hex(record.key),
    hex(record.value),
    [...headers].map(([key, values]) => [key, values.length === 1 ? values[0]! : values]),
  ];
}

function plain(message: ConsumerMessage): Plain {
  for (const bytes of [message.key, message.value]) {
    if (bytes !== null && !Buffer.isBuffer(bytes)) throw new Error('key/value not a Buffer');
  }
  return [
    message.offset,
    message.timestamp,
    hex(message.key),
    hex(message.value),
    Object.entries(message.headers).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.map((v) => hex(v)!) : hex(value)!,
    ]),
  ];
}

test('fetched messages are exactly the encoder input, through the list and the generator', (t) => {
  fc.assert(
    fc.property(
      fc.array(batchArbitrary, { minLength: 1, maxLength: 4 }),
      fc.nat({ max: 60 }),
      fc.boolean(),
      (inputs, fromOffset, asBuffers) => {
        const { bytes, offsets } = encode(inputs);
        const batches = asBuffers ? bytes.map((b) => Buffer.from(b)) : bytes;
        const want: Plain[] = [];
        inputs.forEach((input, batchIndex) => {
          if (input.control) return;
          input.records.forEach((record, index) => {
            const offset = offsets[batchIndex]![index]!;
            if (offset >= fromOffset) want.push(expected(record, offset, input.logAppendTime));
          });
        });
        const listed = messageListOf('t', 3, batches, fromOffset);
        t.deepEqual(listed.map(plain), want);
        t.deepEqual([...messagesOf('t', 3, batches, fromOffset)].map(plain), want);
        for (const message of listed) {
          t.is(message.topic, 't');
          t.is(message.partition, 3);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a message reads the same every time and shows its fields to inspect and toObject', (t) => {
  const { bytes } = encode([
    {
      records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 5, headers: [] }],
      gaps: [0],
      gzip: false,
      logAppendTime: null,
      control: false,
    },
  ]);
  const [message] = messageListOf('t', 0, bytes, 0);
  t.deepEqual(message!.value, message!.value);
  t.is(message!.offset, message!.offset);
  t.throws(() => {
    (message as { offset: bigint }).offset = 9n;
  });
  t.is(message!.offset, 0n);
  const object = (message as unknown as { toObject(): ConsumerMessage }).toObject();
  t.deepEqual(plain(object), plain(message!));
  t.regex(inspect(message), /value: <Buffer 76>/);
});

/** Overwrites `count` bytes of the records section and fixes the CRC, so only decoding can tell. */
function corruptRecords(batch: Uint8Array, at: number, values: readonly number[]): Uint8Array {
  const bytes = Uint8Array.from(batch);
  const section = bytes.length - batchHeaderBytes;
  if (section > 0) {
    values.forEach((value, index) => {
      bytes[batchHeaderBytes + ((at + index) % section)] = value;
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(BatchField.crc, crc32c(bytes, BatchField.attributes, bytes.length));
  return bytes;
}

test('corrupt records (CRC right, gzip or not) give typed protocol errors, never a crash', (t) => {
  fc.assert(
    fc.property(
      batchArbitrary,
      fc.nat(),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }),
      (input, at, values) => {
        const { bytes } = encode([{ ...input, control: false }]);
        const corrupt = corruptRecords(bytes[0]!, at, values);
        for (const decode of [
          () => messageListOf('t', 0, [corrupt], 0).map(plain),
          () => [...messagesOf('t', 0, [corrupt], 0)].map(plain),
        ]) {
          try {
            decode();
          } catch (error) {
            t.true(error instanceof ProtocolError, `${String(error)}`);
          }
        }
      },
    ),
    { numRuns: 500 },
  );
});
