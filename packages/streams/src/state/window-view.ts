/** The read side of window and session stores, which interactive queries see. */
import type { Window, Windowed } from '../windowed.ts';
import type { TimeIndexedStore } from './time-indexed-store.ts';

export interface WindowValue<V> {
  readonly window: Window;
  readonly value: V;
}

export interface ReadOnlyWindowStore<K, V> {
  /** The value of `key`'s window starting at `windowStart` (sessions: the first such). */
  fetch(key: K, windowStart: number): V | undefined;
  /** `key`'s windows with `timeFrom ≤ start ≤ timeTo`, oldest first. */
  fetchRange(key: K, timeFrom: number, timeTo: number): WindowValue<V>[];
  /** Every window of every key, ordered by key bytes then start. */
  all(): { key: Windowed<K>; value: V }[];
}

export function windowStoreView<K, V>(store: TimeIndexedStore<K, V>): ReadOnlyWindowStore<K, V> {
  return {
    fetch: (key, windowStart) => store.fetch(key, windowStart, windowStart)[0]?.value,
    fetchRange: (key, timeFrom, timeTo) =>
      store
        .fetch(key, timeFrom, timeTo)
        .map((e) => ({ window: { start: e.a, end: e.b }, value: e.value })),
    all: () =>
      store
        .all()
        .map((e) => ({ key: { key: e.key, window: { start: e.a, end: e.b } }, value: e.value })),
  };
}
