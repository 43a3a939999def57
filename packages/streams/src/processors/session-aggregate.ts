/**
 * Aggregation over session windows. A record at `t` joins every session of its key that
 * ends no earlier than `t − gap` and starts no later than `t + gap`; those sessions merge
 * into one `[min start, max end]` whose aggregate is the merge of theirs plus the record.
 * Sessions merged away are forwarded as deletions (new value null). A record whose merged
 * session would end before stream time − grace is late and dropped.
 */
import {
  type Processor,
  type ProcessorContext,
  type ProcessorSupplier,
  reportDropped,
} from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';
import type { TimeIndexedStore } from '../state/time-indexed-store.ts';
import type { Windowed } from '../windowed.ts';
import type { SessionWindows } from '../windows/session-windows.ts';

export interface SessionFunctions {
  readonly initializer: () => unknown;
  readonly aggregator: (key: unknown, value: unknown, aggregate: unknown) => unknown;
  readonly merger: (key: unknown, left: unknown, right: unknown) => unknown;
}

export function sessionAggregateProcessor(
  storeName: string,
  windows: SessionWindows,
  functions: SessionFunctions,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let store: TimeIndexedStore<unknown, unknown>;
    const forward = (
      record: StreamRecord,
      start: number,
      end: number,
      newValue: unknown,
      oldValue: unknown,
    ) => {
      const key: Windowed<unknown> = { key: record.key, window: { start, end } };
      context.forward({ ...record, key, value: { newValue, oldValue } });
    };
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore(storeName);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined || record.value === null) return;
        const t = record.timestamp;
        if (t < 0) return reportDropped(context, 'negative timestamp', record);
        store.advanceStreamTime(t);
        const closeTime = store.observedStreamTimeMs() - windows.graceMs;
        const overlapping = store
          .entriesOf(record.key)
          .filter((s) => s.b >= t - windows.gapMs && s.a <= t + windows.gapMs);
        const start = Math.min(t, ...overlapping.map((s) => s.a));
        const end = Math.max(t, ...overlapping.map((s) => s.b));
        if (end < closeTime) return reportDropped(context, 'late: its session has closed', record);
        let aggregate = functions.initializer();
        for (const session of overlapping)
          aggregate = functions.merger(record.key, aggregate, session.value);
        aggregate = functions.aggregator(record.key, record.value, aggregate);
        let replaced: unknown = null;
        for (const session of overlapping) {
          if (session.a === start && session.b === end) {
            replaced = session.value;
            continue;
          }
          store.put(record.key, session.a, session.b, null);
          forward(record, session.a, session.b, null, session.value);
        }
        store.put(record.key, start, end, aggregate);
        forward(record, start, end, aggregate, replaced);
      },
    };
    return processor;
  };
}
