/**
 * Stores for the Processor API: `Stores.keyValueStore(...)` and `Stores.windowStore(...)`
 * declare a store that `StreamsBuilder.addStateStore` adds and `KStream.process` connects.
 */
import type { StoreDef } from '../engine/topology.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Serde } from '../serdes.ts';
import { KeyValueStore } from '../state/key-value-store.ts';
import { TimeIndexedStore } from '../state/time-indexed-store.ts';

export interface StoreBuilder {
  readonly name: string;
  definition(): StoreDef;
}

export const Stores = {
  /** A key-value store; `logging: false` keeps it without a changelog (lost on task moves). */
  keyValueStore<K, V>(
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    options: { logging?: boolean } = {},
  ): StoreBuilder {
    return {
      name,
      definition: () => ({
        name,
        logged: options.logging ?? true,
        create: () => new KeyValueStore(name, keySerde, valueSerde),
      }),
    };
  },

  /**
   * A store of values by (key, start, end), e.g. windows; entries are dropped once the
   * store's stream time (advanced with `advanceStreamTime`) passes `start + retentionMs`.
   */
  windowStore<K, V>(
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    options: { retentionMs: number; logging?: boolean },
  ): StoreBuilder {
    if (!Number.isSafeInteger(options.retentionMs) || options.retentionMs < 1) {
      throw new InvalidArgumentError(
        `retentionMs must be a positive integer, got ${options.retentionMs}`,
      );
    }
    return {
      name,
      definition: () => ({
        name,
        logged: options.logging ?? true,
        create: () =>
          new TimeIndexedStore(
            name,
            'window',
            keySerde,
            valueSerde,
            (e) => e.a + options.retentionMs,
          ),
      }),
    };
  },
};
