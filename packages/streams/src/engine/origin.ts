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

export function originHeader(origin: Origin): RecordHeader {
  const text = `${origin.topic} ${origin.partition} ${origin.offset} ${origin.sequence}`;
  // Topic names are ASCII ([a-zA-Z0-9._-]), so latin1 bytes are the UTF-8 bytes, and
  // Buffer.from draws them from a shared slab instead of a new ArrayBuffer per record.
  return { key: originHeaderKey, value: Buffer.from(text, 'latin1') };
}

/** The origin a record carries, or undefined when it has none or it is malformed. */
export function readOrigin(headers: RecordHeaders): Origin | undefined {
  const header = headers.find((h) => h.key === originHeaderKey);
  if (!header?.value) return undefined;
  const parts = decoder.decode(header.value).split(' ');
  if (parts.length !== 4) return undefined;
  const [topic, partition, offset, sequence] = [
    parts[0] as string,
    Number(parts[1]),
    Number(parts[2]),
    Number(parts[3]),
  ];
  if (![partition, offset, sequence].every((n) => Number.isSafeInteger(n) && n >= 0))
    return undefined;
  return { topic, partition, offset, sequence };
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
