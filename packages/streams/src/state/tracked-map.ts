/**
 * A map that remembers, for each key changed since the last drain, the bytes the key had at
 * that drain. Stores keep their entries in one and hand `drain()` to the commit: the result
 * is one change per key (the latest value), with the previous committed value beside it.
 */
import { keyStringToBytes } from '../serdes.ts';
import type { StoreChange } from './state-store.ts';

export class TrackedMap<E> {
  private readonly map = new Map<string, E>();
  /** Key → its bytes at the last drain (null: absent then). */
  private readonly dirty = new Map<string, Uint8Array | null>();
  /** Keys whose current value is written at the next drain even if unchanged. */
  private readonly forced = new Set<string>();

  constructor(private readonly encode: (entry: E) => Uint8Array) {}

  get(key: string): E | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get size(): number {
    return this.map.size;
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  values(): IterableIterator<E> {
    return this.map.values();
  }

  entries(): IterableIterator<[string, E]> {
    return this.map.entries();
  }

  /** Sets or (with undefined) removes an entry, recording the change. */
  set(key: string, entry: E | undefined): void {
    if (!this.dirty.has(key)) {
      const old = this.map.get(key);
      this.dirty.set(key, old === undefined ? null : this.encode(old));
    }
    if (entry === undefined) this.map.delete(key);
    else this.map.set(key, entry);
  }

  /** Sets or removes an entry without recording it (restoring from a changelog). */
  load(key: string, entry: E | undefined): void {
    if (entry === undefined) this.map.delete(key);
    else this.map.set(key, entry);
  }

  /**
   * Marks a key to be written at the next drain with its current value, changed or not:
   * after a restore undid a key, this overwrites the undone record in the changelog.
   */
  touch(key: string): void {
    if (!this.dirty.has(key)) {
      const entry = this.map.get(key);
      this.dirty.set(key, entry === undefined ? null : this.encode(entry));
    }
    this.forced.add(key);
  }

  drain(): StoreChange[] {
    const changes: StoreChange[] = [];
    for (const [key, prev] of this.dirty) {
      const entry = this.map.get(key);
      const value = entry === undefined ? null : this.encode(entry);
      if (sameBytes(value, prev) && !this.forced.has(key)) continue;
      changes.push({ key: keyStringToBytes(key), value, prev });
    }
    this.dirty.clear();
    this.forced.clear();
    return changes;
  }

  clear(): void {
    this.map.clear();
    this.dirty.clear();
    this.forced.clear();
  }
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
