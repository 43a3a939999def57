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
import type { RecordHeader, RecordHeaders } from './record.ts';

export const originHeaderKey = 'tributary.origin';

export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly sequence: number;
}

const decoder = new TextDecoder();

/** `<topic> <partition> <offset> <sequence>`, the numbers in plain decimal digits. */
const originPattern = /^(\S+) (\d+) (\d+) (\d+)$/;

export function originHeader(origin: Origin): RecordHeader {
  const text = `${origin.topic} ${origin.partition} ${origin.offset} ${origin.sequence}`;
  // Topic names are ASCII ([a-zA-Z0-9._-]), so latin1 bytes are the UTF-8 bytes, and
  // Buffer.from draws them from a shared slab instead of a new ArrayBuffer per record.
  return { key: originHeaderKey, value: Buffer.from(text, 'latin1') };
}

/**
 * The origin a record carries, or undefined when it has none or it is malformed: anything
 * but `<topic> <partition> <offset> <sequence>` with the three numbers in plain decimal
 * digits (no sign, hex, exponent or fraction) and at most 2^53 - 1.
 */
export function readOrigin(headers: RecordHeaders): Origin | undefined {
  const header = headers.find((h) => h.key === originHeaderKey);
  if (!header?.value) return undefined;
  const match = originPattern.exec(decoder.decode(header.value));
  if (match === null) return undefined;
  const partition = Number(match[2]);
  const offset = Number(match[3]);
  const sequence = Number(match[4]);
  if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) return undefined;
  if (!Number.isSafeInteger(sequence)) return undefined;
  return { topic: match[1] as string, partition, offset, sequence };
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
