/**
 * A key-value store: the state of tables and of aggregations. Keys are ordered by their
 * serialized bytes (that is the order of `range` and `all`). Values are kept as objects and
 * serialized only for the changelog and local files.
 */
import { InvalidArgumentError } from '../errors.ts';
import { bytesToKeyString, type Serde } from '../serdes.ts';
import type { StateStore, StoreChange } from './state-store.ts';
import { TrackedMap } from './tracked-map.ts';

export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/** The read side, which interactive queries see. */
export interface ReadOnlyKeyValueStore<K, V> {
  get(key: K): V | undefined;
  /** Entries with `from ≤ key ≤ to` in key-byte order; either bound may be omitted. */
  range(from?: K, to?: K): KeyValue<K, V>[];
  all(): KeyValue<K, V>[];
  approximateNumEntries(): number;
}

export interface KeyValueStoreApi<K, V> extends ReadOnlyKeyValueStore<K, V> {
  put(key: K, value: V | null): void;
  delete(key: K): V | undefined;
}

interface Entry<K, V> {
  readonly key: K;
  readonly value: V;
}

export class KeyValueStore<K, V> implements StateStore, KeyValueStoreApi<K, V> {
  readonly kind = 'key-value' as const;
  private readonly map: TrackedMap<Entry<K, V>>;
  private sortedKeys: string[] | undefined;
  private lastKey: unknown;
  private lastKeyString = '';

  constructor(
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {
    this.map = new TrackedMap((entry) => this.valueSerde.serialize(entry.value));
  }

  keyString(key: K): string {
    if (key === null || key === undefined)
      throw new InvalidArgumentError(`store ${this.name}: null key`);
    // An aggregation reads then writes the same key, and a dedup store sees the same key
    // record after record: remember the last primitive key (objects may be mutated).
    // Object.is, not ===: 0 and -0 are equal to === but serialize differently.
    if (Object.is(key, this.lastKey)) return this.lastKeyString;
    const keyString = bytesToKeyString(this.keySerde.serialize(key));
    if (typeof key === 'string' || typeof key === 'number') {
      this.lastKey = key;
      this.lastKeyString = keyString;
    }
    return keyString;
  }

  get(key: K): V | undefined {
    return this.map.get(this.keyString(key))?.value;
  }

  put(key: K, value: V | null): void {
    const keyString = this.keyString(key);
    if (value === null || value === undefined) {
      this.removeKey(keyString);
      return;
    }
    if (!this.map.has(keyString)) this.sortedKeys = undefined;
    this.map.set(keyString, { key, value });
  }

  delete(key: K): V | undefined {
    const keyString = this.keyString(key);
    const old = this.map.get(keyString)?.value;
    this.removeKey(keyString);
    return old;
  }

  private removeKey(keyString: string): void {
    if (!this.map.has(keyString)) return;
    this.sortedKeys = undefined;
    this.map.set(keyString, undefined);
  }

  range(from?: K, to?: K): KeyValue<K, V>[] {
    const low = from === undefined ? undefined : this.keyString(from);
    const high = to === undefined ? undefined : this.keyString(to);
    const result: KeyValue<K, V>[] = [];
    for (const keyString of this.sorted()) {
      if (low !== undefined && keyString < low) continue;
      if (high !== undefined && keyString > high) break;
      const entry = this.map.get(keyString);
      if (entry) result.push({ key: entry.key, value: entry.value });
    }
    return result;
  }

  all(): KeyValue<K, V>[] {
    return this.range();
  }

  approximateNumEntries(): number {
    return this.map.size;
  }

  private sorted(): string[] {
    this.sortedKeys ??= [...this.map.keys()].sort();
    return this.sortedKeys;
  }

  drainChanges(): StoreChange[] {
    return this.map.drain();
  }

  loadEntry(key: Uint8Array, value: Uint8Array | null): void {
    this.sortedKeys = undefined;
    const keyString = bytesToKeyString(key);
    if (value === null) this.map.load(keyString, undefined);
    else
      this.map.load(keyString, {
        key: this.keySerde.deserialize(key),
        value: this.valueSerde.deserialize(value),
      });
  }

  touch(key: Uint8Array): void {
    this.map.touch(bytesToKeyString(key));
  }

  *entries(): Iterable<readonly [Uint8Array, Uint8Array]> {
    for (const [keyString, entry] of this.map.entries()) {
      yield [Buffer.from(keyString, 'latin1'), this.valueSerde.serialize(entry.value)];
    }
  }

  size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.sortedKeys = undefined;
  }
}
