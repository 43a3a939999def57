/**
 * Interactive queries: read-only views of a store across the tasks this instance runs. A
 * key lives in exactly one task (partition), so a point lookup asks each local task's store
 * until one has it; range and all gather from every task. Keys held by other instances are
 * not visible here (route the query to the instance that runs the key's partition).
 */
import type { Task } from '../engine/task.ts';
import { InvalidArgumentError } from '../errors.ts';
import { type KeyValue, KeyValueStore } from '../state/key-value-store.ts';
import { TimeIndexedStore } from '../state/time-indexed-store.ts';
import { type WindowValue, windowStoreView } from '../state/window-view.ts';
import type { Windowed } from '../windowed.ts';

export interface KeyValueQuery<K, V> {
  get(key: K): V | undefined;
  range(from?: K, to?: K): KeyValue<K, V>[];
  all(): KeyValue<K, V>[];
  approximateNumEntries(): number;
}

export interface WindowQuery<K, V> {
  fetch(key: K, windowStart: number): V | undefined;
  fetchRange(key: K, timeFrom: number, timeTo: number): WindowValue<V>[];
  all(): { key: Windowed<K>; value: V }[];
}

function storesOf<S>(
  name: string,
  tasks: () => readonly Task[],
  kind: new (...args: never[]) => S,
): S[] {
  const found: S[] = [];
  for (const task of tasks()) {
    if (!task.stores.has(name)) continue;
    const store = task.store(name);
    if (!(store instanceof kind))
      throw new InvalidArgumentError(`store ${name} is a ${store.kind} store`);
    found.push(store);
  }
  return found;
}

const byKeyBytes =
  <K, V>(store: KeyValueStore<K, V>) =>
  (a: KeyValue<K, V>, b: KeyValue<K, V>) => {
    const x = store.keyString(a.key);
    const y = store.keyString(b.key);
    return x < y ? -1 : x > y ? 1 : 0;
  };

export function keyValueQuery<K, V>(
  name: string,
  tasks: () => readonly Task[],
): KeyValueQuery<K, V> {
  const stores = () => storesOf(name, tasks, KeyValueStore) as KeyValueStore<K, V>[];
  const gather = (read: (s: KeyValueStore<K, V>) => KeyValue<K, V>[]) => {
    const list = stores();
    const first = list[0];
    return first ? list.flatMap(read).sort(byKeyBytes(first)) : [];
  };
  return {
    get: (key) => {
      for (const store of stores()) {
        const value = store.get(key);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    range: (from, to) => gather((s) => s.range(from, to)),
    all: () => gather((s) => s.all()),
    approximateNumEntries: () => stores().reduce((sum, s) => sum + s.approximateNumEntries(), 0),
  };
}

export function windowQuery<K, V>(name: string, tasks: () => readonly Task[]): WindowQuery<K, V> {
  const views = () =>
    (storesOf(name, tasks, TimeIndexedStore) as TimeIndexedStore<K, V>[]).map(windowStoreView);
  return {
    fetch: (key, windowStart) => {
      for (const view of views()) {
        const value = view.fetch(key, windowStart);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    fetchRange: (key, from, to) => views().flatMap((v) => v.fetchRange(key, from, to)),
    all: () => views().flatMap((v) => v.all()),
  };
}
