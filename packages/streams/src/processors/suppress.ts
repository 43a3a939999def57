/**
 * `suppress(untilWindowCloses)`: holds back a windowed table's updates and emits one final
 * result per window, once the window has closed (stream time ≥ its close time). The buffer
 * is a changelogged store, so held results survive a restart. A window deleted before it
 * closes (a session merged into another) emits nothing.
 *
 * Emission order: by close time, then key bytes, then window start — deterministic.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import type { Change, StreamRecord } from '../engine/record.ts';
import type { TimeIndexedStore } from '../state/time-indexed-store.ts';
import type { Window, Windowed } from '../windowed.ts';

export interface SuppressedValue {
  readonly value: unknown;
  readonly timestamp: number;
}

export function suppressProcessor(
  storeName: string,
  closesAtMs: (window: Window) => number,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let buffer: TimeIndexedStore<unknown, SuppressedValue>;
    let nextCloseMs = Number.POSITIVE_INFINITY;
    const emitClosed = () => {
      const now = buffer.observedStreamTimeMs();
      if (now < nextCloseMs) return;
      const entries = buffer.all();
      const closed = entries
        .filter((e) => closesAtMs({ start: e.a, end: e.b }) <= now)
        .sort(
          (x, y) => closesAtMs({ start: x.a, end: x.b }) - closesAtMs({ start: y.a, end: y.b }),
        );
      nextCloseMs = Number.POSITIVE_INFINITY;
      for (const e of entries) {
        const at = closesAtMs({ start: e.a, end: e.b });
        if (at > now) nextCloseMs = Math.min(nextCloseMs, at);
      }
      for (const e of closed) {
        buffer.put(e.key, e.a, e.b, null);
        const key: Windowed<unknown> = { key: e.key, window: { start: e.a, end: e.b } };
        const change: Change<unknown> = { newValue: e.value.value, oldValue: null };
        context.forward({ key, value: change, timestamp: e.value.timestamp, headers: [] });
      }
    };
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        buffer = ctx.getStateStore(storeName);
        nextCloseMs = Number.NEGATIVE_INFINITY;
      },
      process(record: StreamRecord) {
        const windowed = record.key as Windowed<unknown>;
        const change = record.value as Change<unknown>;
        buffer.advanceStreamTime(record.timestamp);
        const { start, end } = windowed.window;
        if (closesAtMs(windowed.window) > buffer.observedStreamTimeMs()) {
          if (change.newValue === null) buffer.put(windowed.key, start, end, null);
          else {
            buffer.put(windowed.key, start, end, {
              value: change.newValue,
              timestamp: record.timestamp,
            });
            nextCloseMs = Math.min(nextCloseMs, closesAtMs(windowed.window));
          }
        }
        emitClosed();
      },
    };
    return processor;
  };
}
