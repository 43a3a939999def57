/**
 * Windowed stream-stream join. Each side keeps its records in a buffer store for as long as
 * a record of the other side could still join it; a record joins the other side's buffered
 * records of the same key within the join window, and each pair is emitted with the later of
 * the two timestamps. Left and outer joins emit a record that found no partner once its
 * window has closed (stream time past its window end + grace), as Kafka Streams does since
 * 3.1, so a partner arriving later in the window is not preceded by a spurious null result.
 * Stream time is shared by both sides (the larger of the two stores' times).
 */
import {
  type Processor,
  type ProcessorContext,
  type ProcessorSupplier,
  reportDropped,
} from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';
import type { IndexedEntry, TimeIndexedStore } from '../state/time-indexed-store.ts';
import type { JoinWindows } from '../windows/join-windows.ts';

/** A buffered record and whether it has found a partner yet. */
export interface BufferedJoinValue {
  readonly value: unknown;
  readonly matched: boolean;
}

export interface JoinSideOptions {
  readonly side: 'left' | 'right';
  readonly ownStore: string;
  readonly otherStore: string;
  readonly windows: JoinWindows;
  /** Always called as (leftValue, rightValue, key); a missing side is null. */
  readonly joiner: (left: unknown, right: unknown, key: unknown) => unknown;
  /** Whether records of this side without a partner are emitted (the left side of a left join). */
  readonly emitOwnUnmatched: boolean;
  readonly emitOtherUnmatched: boolean;
}

/** How long a buffered record of either side is kept after its timestamp. */
export function joinRetentionMs(windows: JoinWindows): number {
  return windows.beforeMs + windows.afterMs + windows.graceMs + 1;
}

/** How far before and after its own time a record of `side` looks on the other side. */
function reach(options: JoinSideOptions): { before: number; after: number } {
  const { beforeMs, afterMs } = options.windows;
  return options.side === 'left'
    ? { before: beforeMs, after: afterMs }
    : { before: afterMs, after: beforeMs };
}

type JoinBuffer = TimeIndexedStore<unknown, BufferedJoinValue>;

/**
 * Per buffer store, the earliest time one of its unmatched records closes, so the scan for
 * closed records runs only when one is due. Shared by the two side processors of a join
 * (both emit from both buffers) and absent after a restore, which forces one scan.
 */
const nextUnmatchedCloseMs = new WeakMap<JoinBuffer, number>();

function noteUnmatched(store: JoinBuffer, closesAtMs: number): void {
  const known = nextUnmatchedCloseMs.get(store);
  if (known !== undefined) nextUnmatchedCloseMs.set(store, Math.min(known, closesAtMs));
}

export function joinSideProcessor(options: JoinSideOptions): ProcessorSupplier {
  const { before, after } = reach(options);
  const grace = options.windows.graceMs;
  const otherSide = options.side === 'left' ? 'right' : 'left';
  return () => {
    let context: ProcessorContext;
    let own: JoinBuffer;
    let other: JoinBuffer;
    const orient = (side: 'left' | 'right', mine: unknown, theirs: unknown, key: unknown) =>
      side === 'left' ? options.joiner(mine, theirs, key) : options.joiner(theirs, mine, key);
    /** The unmatched records of `store` whose windows have closed, to emit. */
    const closedUnmatched = (
      store: JoinBuffer,
      side: 'left' | 'right',
      closeAfter: number,
      streamTime: number,
    ) => {
      if (streamTime < (nextUnmatchedCloseMs.get(store) ?? Number.NEGATIVE_INFINITY)) return [];
      const closed: {
        side: 'left' | 'right';
        store: JoinBuffer;
        entry: IndexedEntry<unknown, BufferedJoinValue>;
      }[] = [];
      let next = Number.POSITIVE_INFINITY;
      for (const entry of store.all()) {
        if (entry.value.matched) continue;
        const closesAt = entry.a + closeAfter + grace + 1;
        if (closesAt <= streamTime) closed.push({ side, store, entry });
        else next = Math.min(next, closesAt);
      }
      nextUnmatchedCloseMs.set(store, next);
      return closed;
    };
    /** Emits closed unmatched records of both sides, oldest first (left before right on ties). */
    const emitUnmatched = (streamTime: number) => {
      const closed = [
        ...(options.emitOwnUnmatched ? closedUnmatched(own, options.side, after, streamTime) : []),
        ...(options.emitOtherUnmatched
          ? closedUnmatched(other, otherSide, before, streamTime)
          : []),
      ];
      closed.sort(
        (x, y) =>
          x.entry.a - y.entry.a ||
          (x.side === y.side ? x.entry.b - y.entry.b : x.side === 'left' ? -1 : 1),
      );
      for (const { side, store, entry: e } of closed) {
        store.put(e.key, e.a, e.b, { value: e.value.value, matched: true });
        context.forward({
          key: e.key,
          value: orient(side, e.value.value, null, e.key),
          timestamp: e.a,
          headers: [],
        });
      }
    };
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        own = ctx.getStateStore(options.ownStore);
        other = ctx.getStateStore(options.otherStore);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined || record.value === null) return;
        const t = record.timestamp;
        const streamTime = Math.max(t, own.observedStreamTimeMs(), other.observedStreamTimeMs());
        if (t + after + grace < streamTime)
          return reportDropped(context, 'late: its join window has closed', record);
        const partners = other.fetch(record.key, t - before, t + after);
        for (const partner of partners) {
          const value = orient(options.side, record.value, partner.value.value, record.key);
          context.forward({ ...record, value, timestamp: Math.max(t, partner.a) });
          if (!partner.value.matched)
            other.put(partner.key, partner.a, partner.b, {
              value: partner.value.value,
              matched: true,
            });
        }
        own.put(record.key, t, own.nextSequence(), {
          value: record.value,
          matched: partners.length > 0,
        });
        if (partners.length === 0) noteUnmatched(own, t + after + grace + 1);
        emitUnmatched(streamTime);
        own.advanceStreamTime(streamTime);
        other.advanceStreamTime(streamTime);
      },
    };
    return processor;
  };
}
