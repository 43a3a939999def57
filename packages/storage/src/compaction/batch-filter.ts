/**
 * What compaction does to one stored batch: decide for each record whether it survives,
 * and if some but not all do, build the batch again with the survivors. The new batch
 * keeps the base offset, the offset deltas (so every record keeps its offset), the last
 * offset delta (so the batch still ends where it did), the producer fields, the flags and
 * the codec. Control batches, and batches this build cannot decode, are kept whole.
 */
import {
  type BatchRecord,
  ProtocolError,
  RecordBatchBuilder,
  RecordBatchView,
  RecordCursor,
  TimestampType,
} from '@tributary/protocol';
import type { KeyMap } from './key-map.ts';

export interface CleaningPlan {
  readonly map: KeyMap;
  /** Records at or past this offset were not mapped and are kept whatever their key. */
  readonly mapEnd: number;
  readonly nowMs: number;
  readonly deleteRetentionMs: number;
}

export type BatchOutcome =
  | { readonly kind: 'keep' }
  | { readonly kind: 'drop'; readonly removed: number }
  | { readonly kind: 'rewrite'; readonly batch: Uint8Array; readonly removed: number };

const keep: BatchOutcome = { kind: 'keep' };

function survives(cursor: RecordCursor, plan: CleaningPlan): boolean {
  const key = cursor.key();
  if (key === null || cursor.offset >= plan.mapEnd) return true;
  if (plan.map.get(key) > cursor.offset) return false; // a later record has this key
  const expiredTombstone =
    cursor.isTombstone && cursor.timestamp + plan.deleteRetentionMs <= plan.nowMs;
  return !expiredTombstone;
}

interface Survivor {
  readonly record: BatchRecord;
  readonly offsetDelta: number;
}

function collectSurvivors(
  view: RecordBatchView,
  plan: CleaningPlan,
): { survivors: Survivor[]; total: number } | null {
  try {
    const cursor = new RecordCursor(view);
    const survivors: Survivor[] = [];
    let total = 0;
    while (cursor.next()) {
      total += 1;
      if (survives(cursor, plan))
        survivors.push({ record: cursor.record(), offsetDelta: cursor.offsetDelta });
    }
    return { survivors, total };
  } catch (error) {
    if (error instanceof ProtocolError) return null; // undecodable here: keep it whole
    throw error;
  }
}

function rebuild(view: RecordBatchView, survivors: readonly Survivor[]): Uint8Array {
  const logAppendTime = view.timestampType === TimestampType.logAppendTime;
  const builder = new RecordBatchBuilder({
    baseOffset: view.baseOffset,
    partitionLeaderEpoch: view.partitionLeaderEpoch,
    compression: view.compressionType,
    timestampType: view.timestampType,
    ...(logAppendTime ? { logAppendTime: view.maxTimestamp } : {}),
    transactional: view.isTransactional,
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
    initialCapacityBytes: view.sizeBytes,
  });
  for (const survivor of survivors) builder.append(survivor.record, survivor.offsetDelta);
  return builder.build({ lastOffsetDelta: view.lastOffsetDelta });
}

export function filterBatch(batch: Uint8Array, plan: CleaningPlan): BatchOutcome {
  const view = new RecordBatchView(batch);
  if (view.isControl) return keep;
  const collected = collectSurvivors(view, plan);
  if (collected === null) return keep;
  const { survivors, total } = collected;
  if (survivors.length === total) return keep;
  if (survivors.length === 0) return { kind: 'drop', removed: total };
  return { kind: 'rewrite', batch: rebuild(view, survivors), removed: total - survivors.length };
}

/** Feeds the keys of one batch to the map; false when they might not all fit. */
export function mapBatchKeys(batch: Uint8Array, map: KeyMap): boolean {
  const view = new RecordBatchView(batch);
  if (view.isControl) return true;
  if (map.size + view.recordCount > map.keysMax) return false;
  try {
    const cursor = new RecordCursor(view);
    while (cursor.next()) {
      const key = cursor.key();
      if (key !== null) map.put(key, cursor.offset);
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    // Undecodable batches are kept whole by cleaning; their keys stay unmapped, which only
    // means fewer records are removed, never a wrong one.
  }
  return true;
}
