/**
 * Origins of repartition records, for deduplication. A task writing to a repartition topic
 * stamps each record with where it came from: the input topic, partition and offset being
 * processed, and a sequence number counting the repartition records that input produced.
 * Replaying the same input (after a crash, before its offsets were committed) produces the
 * same origins in the same order, so the reading task, which keeps the greatest origin seen
 * per repartition topic and origin partition in a changelogged store, drops the copies. (Not
 * per origin partition alone: one input can feed several repartition topics that one task
 * reads, and the consumer interleaves those in any order.)
 *
 * Header `tributary.origin`: UTF-8 `<topic> <partition> <offset> <sequence>`.
 */
import { assert } from '../assert.ts';
import type { RecordHeader, RecordHeaders } from './record.ts';

export const originHeaderKey = 'tributary.origin';

export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly sequence: number;
}

const space = 0x20;
const digitZero = 0x30;

/**
 * The header for `origin`. Written byte by byte into one small buffer (Node's shared pool):
 * this runs for every record a task sends, and a formatted string plus its conversion were
 * the largest allocation of the engine (docs/benchmarks.md, Streams).
 */
export function originHeader(origin: Origin): RecordHeader {
  const { topic, partition, offset, sequence } = origin;
  if (!isPlainDecimal(partition) || !isPlainDecimal(offset) || !isPlainDecimal(sequence)) {
    // Not from a real input record (a test driver's made-up offset, say): written as text,
    // as before, and refused as malformed by readOrigin.
    const text = `${topic} ${partition} ${offset} ${sequence}`;
    return { key: originHeaderKey, value: Buffer.from(text, 'latin1') };
  }
  const size =
    topic.length + 3 + decimalDigits(partition) + decimalDigits(offset) + decimalDigits(sequence);
  const value = Buffer.allocUnsafe(size);
  // Topic names are ASCII ([a-zA-Z0-9._-]), so latin1 bytes are the UTF-8 bytes.
  let at = value.write(topic, 0, 'latin1');
  value[at++] = space;
  at = writeDecimal(value, at, partition);
  value[at++] = space;
  at = writeDecimal(value, at, offset);
  value[at++] = space;
  at = writeDecimal(value, at, sequence);
  if (at !== size) assert(false, `origin header of ${at} bytes, ${size} expected`);
  return { key: originHeaderKey, value };
}

/**
 * The origin a record carries, or undefined when it has none or it is malformed: anything
 * but `<topic> <partition> <offset> <sequence>` with the three numbers in plain decimal
 * digits and at most 2^53 - 1. Parsed from the bytes, without the intermediate strings and
 * arrays that decoding and splitting make, because it runs for every repartition record.
 */
export function readOrigin(headers: RecordHeaders): Origin | undefined {
  const bytes = originBytes(headers);
  if (bytes === undefined) return undefined;
  const topicEnd = bytes.indexOf(space);
  if (topicEnd <= 0) return undefined;
  const numbers = [0, 0, 0] as [number, number, number];
  let field = 0;
  let value = 0;
  let digits = 0;
  // The end of the bytes closes the last number as a space would.
  for (let at = topicEnd + 1; at <= bytes.length; at++) {
    const byte = at < bytes.length ? bytes[at]! : space;
    if (byte === space) {
      if (digits === 0 || field === numbers.length || !Number.isSafeInteger(value)) {
        return undefined;
      }
      numbers[field] = value;
      field += 1;
      value = 0;
      digits = 0;
      continue;
    }
    const digit = byte - digitZero;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
    digits += 1;
  }
  if (field !== numbers.length) return undefined;
  const [partition, offset, sequence] = numbers;
  return { topic: topicOf(bytes, topicEnd), partition, offset, sequence };
}

function originBytes(headers: RecordHeaders): Uint8Array | undefined {
  for (let index = 0; index < headers.length; index++) {
    const header = headers[index]!;
    if (header.key === originHeaderKey) return header.value ?? undefined;
  }
  return undefined;
}

/** A task reads origins of a few input topics over and over: the last name is reused. */
let lastTopic = '';
let lastTopicBytes: Uint8Array = new Uint8Array(0);

function topicOf(bytes: Uint8Array, end: number): string {
  if (end === lastTopicBytes.length) {
    let same = true;
    for (let index = 0; index < end; index++) {
      if (bytes[index] !== lastTopicBytes[index]) {
        same = false;
        break;
      }
    }
    if (same) return lastTopic;
  }
  lastTopic = decoder.decode(bytes.subarray(0, end));
  // A copy: on a Buffer `slice` is a view, and the caller's bytes may be reused.
  lastTopicBytes = new Uint8Array(bytes.subarray(0, end));
  return lastTopic;
}

const decoder = new TextDecoder();

function isPlainDecimal(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function decimalDigits(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  return digits;
}

function writeDecimal(bytes: Buffer, at: number, value: number): number {
  const digits = decimalDigits(value);
  let rest = value;
  for (let index = at + digits - 1; index >= at; index--) {
    bytes[index] = digitZero + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}

/** Whether origin `a` comes strictly after `[offset, sequence]` in its input partition. */
export function originAfter(a: Origin, seen: readonly [number, number]): boolean {
  return a.offset > seen[0] || (a.offset === seen[0] && a.sequence > seen[1]);
}

export function withoutOrigin(headers: RecordHeaders): RecordHeaders {
  return headers.some((h) => h.key === originHeaderKey)
    ? headers.filter((h) => h.key !== originHeaderKey)
    : headers;
}
