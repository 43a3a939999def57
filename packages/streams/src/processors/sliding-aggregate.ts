/**
 * Aggregation over sliding windows (see `windows/sliding-windows.ts` for the set of windows).
 * The processor keeps each key's raw records for `difference + grace` and recomputes every
 * window a new record touches from them, so any aggregator works (no inverse needed). A
 * record is late, and dropped, when its own window `[t − d, t]` has closed.
 */
import {
  type Processor,
  type ProcessorContext,
  type ProcessorSupplier,
  reportDropped,
} from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';
import type { IndexedEntry, TimeIndexedStore } from '../state/time-indexed-store.ts';
import type { Window, Windowed } from '../windowed.ts';
import type { SlidingWindows } from '../windows/sliding-windows.ts';
import type { AggregateUpdate } from './aggregate.ts';

export interface SlidingStores {
  /** Raw records: a = timestamp, b = arrival sequence. */
  readonly buffer: string;
  /** Aggregates: a = window start, b = window end. */
  readonly windows: string;
}

/** The windows holding timestamp `t`, plus `t`'s own right window when it exists. */
export function slidingWindowsTouched(
  timestamps: readonly number[],
  t: number,
  differenceMs: number,
): Window[] {
  const found = new Map<string, Window>();
  const add = (w: Window) => found.set(`${w.start}:${w.end}`, w);
  for (const ts of timestamps) {
    if (ts >= t && ts <= t + differenceMs) add({ start: ts - differenceMs, end: ts });
    if (ts >= t - 1 - differenceMs && ts <= t - 1)
      add({ start: ts + 1, end: ts + 1 + differenceMs });
  }
  if (timestamps.some((ts) => ts > t && ts <= t + 1 + differenceMs))
    add({ start: t + 1, end: t + 1 + differenceMs });
  return [...found.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}

export function slidingAggregateProcessor(
  stores: SlidingStores,
  windows: SlidingWindows,
  update: AggregateUpdate,
): ProcessorSupplier {
  const d = windows.differenceMs;
  return () => {
    let context: ProcessorContext;
    let buffer: TimeIndexedStore<unknown, unknown>;
    let aggregates: TimeIndexedStore<unknown, unknown>;
    const aggregate = (
      key: unknown,
      records: readonly IndexedEntry<unknown, unknown>[],
      w: Window,
    ) => {
      let result: unknown;
      for (const r of records)
        if (r.a >= w.start && r.a <= w.end) result = update(key, r.value, result);
      return result;
    };
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        buffer = ctx.getStateStore(stores.buffer);
        aggregates = ctx.getStateStore(stores.windows);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined || record.value === null) return;
        const t = record.timestamp;
        if (t < 0) return reportDropped(context, 'negative timestamp', record);
        buffer.advanceStreamTime(t);
        aggregates.advanceStreamTime(t);
        const streamTime = aggregates.observedStreamTimeMs();
        if (t + windows.graceMs < streamTime)
          return reportDropped(context, 'late: its window has closed', record);
        buffer.put(record.key, t, buffer.nextSequence(), record.value);
        const records = buffer.entriesOf(record.key);
        const touched = slidingWindowsTouched(
          records.map((r) => r.a),
          t,
          d,
        );
        for (const window of touched) {
          if (streamTime > window.end + windows.graceMs) continue;
          const old = aggregates.get(record.key, window.start, window.end);
          const containsRecord = window.start <= t && t <= window.end;
          if (!containsRecord && old !== undefined) continue;
          const next = aggregate(record.key, records, window);
          aggregates.put(record.key, window.start, window.end, next);
          const key: Windowed<unknown> = { key: record.key, window };
          context.forward({ ...record, key, value: { newValue: next, oldValue: old ?? null } });
        }
      },
    };
    return processor;
  };
}
