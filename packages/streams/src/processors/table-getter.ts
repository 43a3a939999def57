/**
 * Value getters: how a processor reads the current value of a table for a key, whether the
 * table is materialized in a store or derived from one (a filtered or mapped table reads its
 * parent and applies the same function). Joins look the other side up through these.
 */
import type { ProcessorContext } from '../engine/processor.ts';

export type ValueGetter<K, V> = (key: K) => V | null;

export interface ValueGetterSupplier<K, V> {
  /** Stores the getter reads: processors using it must be connected to them. */
  readonly storeNames: readonly string[];
  create(context: ProcessorContext): ValueGetter<K, V>;
}
