/**
 * Per partition: the exact offset where a consumer without a group starts, and the log
 * end when consuming started (for `--until-end`). Every start is an exact offset, found
 * before the consumer starts (a time through the broker's ListOffsets): a consumer seek
 * to an exact offset cannot be overtaken by the consumer's own initial position lookup.
 */
import type { Admin, TopicOffsets } from '@tributary/client';
import type { CallOptions } from '../connection.ts';
import { UsageError } from '../errors.ts';
import { offsetInRange, type StartPosition } from '../input/start-position.ts';

export interface PartitionStart {
  readonly partition: number;
  readonly offset: bigint;
  /** The high watermark when consuming started. */
  readonly end: bigint;
}

/** `atTime`: per partition, the first offset at or after the position's time (timestamp kind). */
export function startTargets(
  offsets: readonly TopicOffsets[],
  from: StartPosition,
  atTime: ReadonlyMap<number, bigint> = new Map(),
): PartitionStart[] {
  return offsets.map((o) => ({
    partition: o.partition,
    offset:
      from.kind === 'timestamp'
        ? (atTime.get(o.partition) ?? o.high)
        : offsetInRange(from, { low: o.low, high: o.high }),
    end: o.high,
  }));
}

/** Per partition, the first offset at or after `timestampMs` (the log end if none). */
export async function offsetsAtTime(
  admin: Admin,
  topic: string,
  timestampMs: number,
  options: CallOptions,
): Promise<Map<number, bigint>> {
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs, options);
  return new Map(found.map((f) => [f.partition, f.offset]));
}

/** Keeps the chosen partitions; a partition the topic lacks is a usage error. */
export function selectPartitions(
  offsets: readonly TopicOffsets[],
  topic: string,
  partitions: readonly number[] | undefined,
): TopicOffsets[] {
  if (partitions === undefined) return [...offsets];
  const missing = partitions.find((p) => !offsets.some((o) => o.partition === p));
  if (missing !== undefined) {
    throw new UsageError(
      `${topic} has no partition ${missing} (it has ${offsets.length})`,
      'topic consume',
    );
  }
  return offsets.filter((o) => partitions.includes(o.partition));
}
