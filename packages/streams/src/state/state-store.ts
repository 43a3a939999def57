/**
 * What every state store offers the engine: its changes since the last commit in changelog
 * form (key bytes, value bytes or null, and the value the key had at the last commit), a way
 * to load entries back from a changelog or local file, and its entries for a snapshot.
 * The typed read and write methods live on each kind of store.
 */

export interface StoreChange {
  readonly key: Uint8Array;
  /** The key's value now; null deletes it. */
  readonly value: Uint8Array | null;
  /** The key's value at the previous commit, so an uncommitted change can be undone. */
  readonly prev: Uint8Array | null;
}

export type StoreKind = 'key-value' | 'window' | 'session' | 'buffer';

export interface StateStore {
  readonly name: string;
  readonly kind: StoreKind;
  /** Changes since the last drain, one per key, and forgets them. */
  drainChanges(): StoreChange[];
  /** Sets (or with null, removes) an entry without recording it as a change. */
  loadEntry(key: Uint8Array, value: Uint8Array | null): void;
  /** Writes the key's current value to the changelog at the next commit, even if unchanged. */
  touch(key: Uint8Array): void;
  /** Every entry in changelog form. */
  entries(): Iterable<readonly [Uint8Array, Uint8Array]>;
  /** Entries held (approximate for sorted views). */
  size(): number;
  clear(): void;
}
