/**
 * Aggregation over tumbling or hopping windows. A record updates every window holding its
 * timestamp that is still open: a window closes once the processor's stream time reaches
 * `end + grace`, and a record arriving for a closed window is late and does not count there.
 * Windows are dropped from the store at `start + retention` (at least size + grace).
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
import type { TimeWindows } from '../windows/time-windows.ts';
import type { AggregateUpdate } from './aggregate.ts';

export function timeWindowAggregateProcessor(
  storeName: string,
  windows: TimeWindows,
  update: AggregateUpdate,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let store: TimeIndexedStore<unknown, unknown>;
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore(storeName);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined || record.value === null) return;
        if (record.timestamp < 0) {
          reportDropped(context, 'negative timestamp', record);
          return;
        }
        store.advanceStreamTime(record.timestamp);
        const streamTime = store.observedStreamTimeMs();
        let counted = false;
        for (const window of windows.windowsFor(record.timestamp)) {
          if (streamTime >= window.end + windows.graceMs) continue;
          counted = true;
          const old = store.get(record.key, window.start, window.end);
          const next = update(record.key, record.value, old);
          store.put(record.key, window.start, window.end, next);
          const key: Windowed<unknown> = { key: record.key, window };
          context.forward({ ...record, key, value: { newValue: next, oldValue: old ?? null } });
        }
        if (!counted) reportDropped(context, 'late: every window of the record has closed', record);
      },
    };
    return processor;
  };
}
