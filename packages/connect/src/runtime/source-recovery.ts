/**
 * How a source task picks up exactly where its predecessor stopped, without transactions.
 *
 * Every record a source task produces carries headers naming its source (connector and
 * source partition), its sequence number (consecutive per source partition) and the
 * source position after it. Positions are stored only every so often, so a crash leaves
 * records in the topic that the stored position does not cover, and — because batches to
 * different topic partitions are acknowledged independently — possibly with holes between
 * them. So at start the task reads back every topic partition it writes to, from the
 * stored mark to the end, and collects the records of its source numbered `seq` or later:
 *
 * - the run of consecutive numbers from `seq` on was written without a hole: the task
 *   resumes after the last of them;
 * - records numbered beyond the first hole were written too: their positions go into a
 *   skip set, and when the task reads them again from the source they are not produced
 *   a second time;
 * - the next record is numbered after the highest number found.
 *
 * This relies on the produce requests of the task that stopped having settled when the
 * new one reads back (a crashed process's requests are answered or dropped within
 * moments; the restart of a process or the move of a task to another worker takes longer).
 */
import type { Admin, Client, ConsumerMessage } from '@tributary/client';
import { ConnectError } from '../errors.ts';
import { headerNames, limits } from '../limits.ts';
import { type JsonValue, positionKey } from '../records.ts';
import type { Mark, StoredSourceOffset } from './offset-store.ts';
import { offsetKey } from './offset-store.ts';
import { readPartitionRange } from './partition-reader.ts';

export interface RecoveredPartition {
  /** Where the task resumes (undefined: from the source's start). */
  readonly resumeAfter: JsonValue | undefined;
  /** Positions (as `positionKey`) already in the topic beyond `resumeAfter`. */
  readonly skip: Set<string>;
  readonly nextSeq: bigint;
  /** Records written since the stored offset: the next stored position must not be older. */
  readonly recoveredCount: number;
}

interface Found {
  readonly seq: bigint;
  readonly position: JsonValue;
}

function headerText(message: ConsumerMessage, name: string): string | undefined {
  const value = message.headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value[0] : value)?.toString('utf8');
}

function readFound(message: ConsumerMessage): Found | undefined {
  const seq = headerText(message, headerNames.sequence);
  const position = headerText(message, headerNames.position);
  if (seq === undefined || !/^\d+$/.test(seq) || position === undefined) return undefined;
  try {
    return { seq: BigInt(seq), position: JSON.parse(position) as JsonValue };
  } catch {
    return undefined;
  }
}

/** Marks of all the task's source partitions merged: the earliest per topic partition. */
export function earliestMarks(stored: Iterable<StoredSourceOffset>): Mark[] {
  const earliest = new Map<string, Mark>();
  for (const offset of stored) {
    for (const mark of offset.marks) {
      const id = `${mark.topic}\u0000${mark.partition}`;
      const seen = earliest.get(id);
      if (seen === undefined || mark.offset < seen.offset) earliest.set(id, mark);
    }
  }
  return [...earliest.values()];
}

/** Reads the tails back and works out each source partition's resume point. */
export async function recoverSourcePartitions(
  deps: { readonly client: Client; readonly admin: Admin; readonly signal?: AbortSignal },
  connector: string,
  stored: ReadonlyMap<string, StoredSourceOffset>,
): Promise<Map<string, RecoveredPartition>> {
  const bySource = new Map<
    string,
    { sourcePartition: string; fromSeq: bigint; found: Map<bigint, Found> }
  >();
  for (const [sourcePartition, offset] of stored) {
    bySource.set(offsetKey(connector, sourcePartition), {
      sourcePartition,
      fromSeq: offset.seq,
      found: new Map(),
    });
  }
  let unreadable: string | undefined;
  const signalOption = deps.signal === undefined ? {} : { signal: deps.signal };
  for (const mark of earliestMarks(stored.values())) {
    const ends = await deps.admin.fetchTopicOffsets(mark.topic, signalOption);
    const end = ends.find((o) => o.partition === mark.partition)?.high ?? mark.offset;
    await readPartitionRange(
      deps.client,
      { topic: mark.topic, partition: mark.partition, fromOffset: mark.offset, toOffset: end },
      (message) => {
        const source = headerText(message, headerNames.source);
        const entry = source === undefined ? undefined : bySource.get(source);
        if (entry === undefined) return;
        const found = readFound(message);
        if (found === undefined) unreadable ??= `${mark.topic}/${mark.partition}@${message.offset}`;
        else if (found.seq >= entry.fromSeq) entry.found.set(found.seq, found);
      },
      signalOption,
    );
  }
  if (unreadable !== undefined) {
    throw new ConnectError(
      'OFFSETS_UNREADABLE',
      `a record of this source has unreadable headers at ${unreadable}`,
    );
  }
  const recovered = new Map<string, RecoveredPartition>();
  for (const entry of bySource.values()) {
    recovered.set(
      entry.sourcePartition,
      resumePoint(stored.get(entry.sourcePartition)!, entry.found),
    );
  }
  return recovered;
}

/** Pure: the resume point from the stored offset and the records found after it. */
export function resumePoint(
  stored: StoredSourceOffset,
  found: ReadonlyMap<bigint, Found>,
): RecoveredPartition {
  let seq = stored.seq;
  let resumeAfter: JsonValue | undefined = stored.position === null ? undefined : stored.position;
  for (let next = found.get(seq); next !== undefined; next = found.get(seq)) {
    resumeAfter = next.position;
    seq += 1n;
  }
  const skip = new Set<string>();
  let highest = seq - 1n;
  for (const record of found.values()) {
    if (record.seq > seq) skip.add(positionKey(record.position));
    if (record.seq > highest) highest = record.seq;
  }
  if (skip.size > limits.recoverySkipPositionsMax) {
    throw new ConnectError(
      'OFFSETS_UNREADABLE',
      `recovery found ${skip.size} records beyond a hole; too many to skip`,
    );
  }
  return { resumeAfter, skip, nextSeq: highest + 1n, recoveredCount: found.size };
}
