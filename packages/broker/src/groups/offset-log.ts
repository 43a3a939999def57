/**
 * How the group coordinator persists: through an `OffsetLog` the broker hands in, which it
 * implements as appends to one partition of the compacted internal topic
 * `__consumer_offsets` (the partition that `offsetsPartitionFor(groupId, count)` names).
 *
 * Contract the broker must keep:
 * - `append` writes the records in the order of the calls (one call's records stay
 *   together and in order), and resolves only once they are committed (replicated as the
 *   topic's durability requires). It rejects when they were not written (leadership lost,
 *   not enough replicas); the coordinator then answers NOT_COORDINATOR or
 *   COORDINATOR_NOT_AVAILABLE.
 * - On becoming coordinator (leader of that partition) the broker reads the partition from
 *   its start to its end and passes the records to `GroupCoordinator.load` before serving,
 *   and calls `unload` when it stops leading it.
 */
export interface OffsetLogRecord {
  readonly key: Uint8Array;
  /** null is a tombstone: compaction removes the key. */
  readonly value: Uint8Array | null;
}

export interface OffsetLog {
  append(records: readonly OffsetLogRecord[]): Promise<void>;
}

/** Which `__consumer_offsets` partition holds a group: Java's String.hashCode, as Kafka. */
export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i += 1) {
    hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  }
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 rather than overflowing.
  const positive = hash === -2147483648 ? 0 : Math.abs(hash);
  return positive % partitionCount;
}
