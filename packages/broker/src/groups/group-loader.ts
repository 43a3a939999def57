/**
 * Rebuilding groups from `__consumer_offsets` when a broker becomes coordinator: records are
 * replayed in log order, the last record of a key wins and a tombstone deletes it (as
 * compaction would). A group keeps its persisted members (Stable, sessions restarting now)
 * so running consumers carry on without a rebalance, unless members had just left it (then
 * the round owed starts at once); a group with neither metadata nor offsets left is gone.
 */
import { Group, offsetKey } from './group.ts';
import type { OffsetLogRecord } from './offset-log.ts';
import {
  type CommittedOffset,
  decodeGroup,
  decodeKey,
  decodeOffset,
  OffsetRecordError,
  type StoredGroup,
} from './offset-records.ts';

export interface LoadSummary {
  readonly groups: number;
  readonly offsets: number;
  /** Records that could not be decoded (unknown versions, corruption), skipped. */
  readonly skipped: number;
  readonly firstSkipReason?: string;
}

interface GroupImage {
  stored: StoredGroup | undefined;
  readonly offsets: Map<string, CommittedOffset>;
}

export function loadGroups(
  records: Iterable<OffsetLogRecord>,
  nowMs: number,
): { groups: Map<string, Group>; summary: LoadSummary } {
  const images = new Map<string, GroupImage>();
  let skipped = 0;
  let firstSkipReason: string | undefined;
  for (const record of records) {
    try {
      replay(images, record);
    } catch (error) {
      if (!(error instanceof OffsetRecordError)) throw error;
      skipped += 1;
      firstSkipReason ??= error.message;
    }
  }
  const groups = new Map<string, Group>();
  let offsets = 0;
  for (const [groupId, image] of images) {
    if (image.stored === undefined && image.offsets.size === 0) continue;
    const group = new Group(groupId, nowMs);
    if (image.stored !== undefined) group.restore(image.stored, nowMs);
    // Members left the stored generation and the round that follows may never have reached
    // the others: start it here, or the leavers' partitions would stay unassigned.
    if (image.stored?.rebalancePending && group.state === 'Stable')
      group.prepareRebalance(nowMs, 0);
    for (const [key, committed] of image.offsets) group.offsets.set(key, committed);
    offsets += image.offsets.size;
    groups.set(groupId, group);
  }
  const summary: LoadSummary = { groups: groups.size, offsets, skipped };
  return {
    groups,
    summary: firstSkipReason === undefined ? summary : { ...summary, firstSkipReason },
  };
}

function replay(images: Map<string, GroupImage>, record: OffsetLogRecord): void {
  const key = decodeKey(record.key);
  let image = images.get(key.groupId);
  if (image === undefined) {
    image = { stored: undefined, offsets: new Map() };
    images.set(key.groupId, image);
  }
  if (key.kind === 'group') {
    image.stored = record.value === null ? undefined : decodeGroup(record.value);
    return;
  }
  const slot = offsetKey(key.topic, key.partition);
  if (record.value === null) image.offsets.delete(slot);
  else image.offsets.set(slot, decodeOffset(record.value));
}
