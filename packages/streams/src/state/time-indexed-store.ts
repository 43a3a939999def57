/**
 * A store of entries indexed by key and two times `(a, b)`: windows `(start, end)`, sessions
 * `(start, end)`, and join buffers `(timestamp, id)`. Entries of one key are found without a
 * scan; entries expire once stream time passes their expiry time, and expiring is a change
 * like any other (a tombstone in the changelog, so compaction drops them there too).
 *
 * Changelog form: key bytes = inner key bytes, then `a` and `b` as big-endian int64 (the
 * layout of `windowedSerde`). The store's own stream time is kept under a short key that no
 * entry can have (entries are at least 16 bytes), so it is restored with the entries.
 */
import { assert } from '../assert.ts';
import { InvalidArgumentError, SerdeError } from '../errors.ts';
import { bytesToKeyString, type Serde } from '../serdes.ts';
import type { StateStore, StoreChange, StoreKind } from './state-store.ts';
import { TrackedMap } from './tracked-map.ts';

export interface IndexedEntry<K, V> {
  readonly key: K;
  readonly keyString: string;
  readonly a: number;
  readonly b: number;
  readonly value: V;
}

const timesBytes = 16;
const streamTimeKey = 'st';
const sequenceKey = 'sq';

type Slot<K, V> =
  | { readonly kind: 'entry'; readonly entry: IndexedEntry<K, V> }
  | { readonly kind: 'meta'; readonly value: number };

function encodeTimes(a: number, b: number): string {
  const bytes = Buffer.alloc(timesBytes);
  bytes.writeBigInt64BE(BigInt(a), 0);
  bytes.writeBigInt64BE(BigInt(b), 8);
  return bytes.toString('latin1');
}

export class TimeIndexedStore<K, V> implements StateStore {
  private readonly map: TrackedMap<Slot<K, V>>;
  private readonly byKey = new Map<string, Map<string, IndexedEntry<K, V>>>();
  private nextExpiryMs = Number.POSITIVE_INFINITY;
  private streamTime = -1;

  constructor(
    readonly name: string,
    readonly kind: StoreKind,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** When an entry may be dropped: once stream time is at least this. */
    private readonly expiresAtMs: (entry: IndexedEntry<K, V>) => number,
  ) {
    this.map = new TrackedMap((slot) => this.encodeSlot(slot));
  }

  private encodeSlot(slot: Slot<K, V>): Uint8Array {
    if (slot.kind === 'entry') return this.valueSerde.serialize(slot.entry.value);
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(slot.value, 0);
    return bytes;
  }

  keyString(key: K): string {
    if (key === null || key === undefined)
      throw new InvalidArgumentError(`store ${this.name}: null key`);
    return bytesToKeyString(this.keySerde.serialize(key));
  }

  /** The largest timestamp the owning processor has seen, kept with the store. */
  observedStreamTimeMs(): number {
    return this.streamTime;
  }

  /** Advances stream time (never backwards) and drops entries that have expired. */
  advanceStreamTime(timestampMs: number): void {
    if (timestampMs <= this.streamTime) return;
    this.streamTime = timestampMs;
    this.map.set(streamTimeKey, { kind: 'meta', value: timestampMs });
    if (timestampMs >= this.nextExpiryMs) this.expire();
  }

  /** A number unique within this store, restored with it: tells apart entries of equal times. */
  nextSequence(): number {
    const slot = this.map.get(sequenceKey);
    const next = slot?.kind === 'meta' ? slot.value + 1 : 0;
    this.map.set(sequenceKey, { kind: 'meta', value: next });
    return next;
  }

  get(key: K, a: number, b: number): V | undefined {
    const slot = this.map.get(this.keyString(key) + encodeTimes(a, b));
    return slot?.kind === 'entry' ? slot.entry.value : undefined;
  }

  put(key: K, a: number, b: number, value: V | null): void {
    if (!(Number.isSafeInteger(a) && Number.isSafeInteger(b)))
      assert(false, `store ${this.name}: integral times`);
    const keyString = this.keyString(key);
    const full = keyString + encodeTimes(a, b);
    if (value === null || value === undefined) {
      this.remove(full, keyString);
      return;
    }
    const entry: IndexedEntry<K, V> = { key, keyString, a, b, value };
    this.index(full, entry);
    this.map.set(full, { kind: 'entry', entry });
  }

  private index(full: string, entry: IndexedEntry<K, V>): void {
    let entries = this.byKey.get(entry.keyString);
    if (!entries) {
      entries = new Map();
      this.byKey.set(entry.keyString, entries);
    }
    entries.set(full, entry);
    this.nextExpiryMs = Math.min(this.nextExpiryMs, this.expiresAtMs(entry));
  }

  private remove(full: string, keyString: string): void {
    if (!this.map.has(full)) return;
    this.map.set(full, undefined);
    this.unindex(full, keyString);
  }

  private unindex(full: string, keyString: string): void {
    const entries = this.byKey.get(keyString);
    entries?.delete(full);
    if (entries?.size === 0) this.byKey.delete(keyString);
  }

  /** Entries of `key`, ordered by `a` then `b`. */
  entriesOf(key: K): IndexedEntry<K, V>[] {
    const entries = this.byKey.get(this.keyString(key));
    if (!entries) return [];
    return [...entries.values()].sort(compareTimes);
  }

  /** Entries of `key` with `aFrom ≤ a ≤ aTo`, ordered by `a` then `b`. */
  fetch(key: K, aFrom: number, aTo: number): IndexedEntry<K, V>[] {
    return this.entriesOf(key).filter((e) => e.a >= aFrom && e.a <= aTo);
  }

  /** Every entry, ordered by key bytes, then `a`, then `b`. */
  all(): IndexedEntry<K, V>[] {
    const keys = [...this.byKey.keys()].sort();
    return keys.flatMap((k) =>
      [...(this.byKey.get(k) as Map<string, IndexedEntry<K, V>>).values()].sort(compareTimes),
    );
  }

  private expire(): void {
    let next = Number.POSITIVE_INFINITY;
    const expired: [string, string][] = [];
    for (const entries of this.byKey.values()) {
      for (const [full, entry] of entries) {
        const at = this.expiresAtMs(entry);
        if (at <= this.streamTime) expired.push([full, entry.keyString]);
        else next = Math.min(next, at);
      }
    }
    for (const [full, keyString] of expired) this.remove(full, keyString);
    this.nextExpiryMs = next;
  }

  drainChanges(): StoreChange[] {
    return this.map.drain();
  }

  loadEntry(keyBytes: Uint8Array, value: Uint8Array | null): void {
    const full = bytesToKeyString(keyBytes);
    if (full === streamTimeKey || full === sequenceKey) {
      this.loadMeta(full, value);
      return;
    }
    if (keyBytes.length < timesBytes)
      throw new SerdeError(`store ${this.name}: key of ${keyBytes.length} bytes`);
    const keyString = full.slice(0, full.length - timesBytes);
    const existing = this.map.get(full);
    if (existing?.kind === 'entry') this.unindex(full, keyString);
    if (value === null) {
      this.map.load(full, undefined);
      return;
    }
    const times = Buffer.from(
      keyBytes.buffer,
      keyBytes.byteOffset + keyBytes.length - timesBytes,
      timesBytes,
    );
    const entry: IndexedEntry<K, V> = {
      key: this.keySerde.deserialize(keyBytes.subarray(0, keyBytes.length - timesBytes)),
      keyString,
      a: Number(times.readBigInt64BE(0)),
      b: Number(times.readBigInt64BE(8)),
      value: this.valueSerde.deserialize(value),
    };
    this.index(full, entry);
    this.map.load(full, { kind: 'entry', entry });
  }

  private loadMeta(name: string, value: Uint8Array | null): void {
    if (value !== null && value.length !== 8) {
      throw new SerdeError(`store ${this.name}: meta value of ${value.length} bytes`);
    }
    const number =
      value === null ? undefined : Buffer.from(value.buffer, value.byteOffset, 8).readDoubleBE(0);
    if (name === streamTimeKey) this.streamTime = number ?? -1;
    this.map.load(name, number === undefined ? undefined : { kind: 'meta', value: number });
  }

  touch(key: Uint8Array): void {
    this.map.touch(bytesToKeyString(key));
  }

  *entries(): Iterable<readonly [Uint8Array, Uint8Array]> {
    for (const [full, slot] of this.map.entries())
      yield [Buffer.from(full, 'latin1'), this.encodeSlot(slot)];
  }

  size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.byKey.clear();
    this.streamTime = -1;
    this.nextExpiryMs = Number.POSITIVE_INFINITY;
  }
}

function compareTimes<K, V>(x: IndexedEntry<K, V>, y: IndexedEntry<K, V>): number {
  return x.a - y.a || x.b - y.b;
}
