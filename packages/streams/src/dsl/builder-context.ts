/**
 * What every DSL object shares while a topology is being written: the graph, the default
 * serdes, and how stores are declared. A serde left unspecified falls back to the builder's
 * default and then to JSON.
 */
import type { StoreDef } from '../engine/topology.ts';
import { TopologyGraph } from '../engine/topology.ts';
import { TopologyError } from '../errors.ts';
import { type Serde, Serdes } from '../serdes.ts';
import { KeyValueStore } from '../state/key-value-store.ts';
import type { StoreKind } from '../state/state-store.ts';
import { type IndexedEntry, TimeIndexedStore } from '../state/time-indexed-store.ts';
import type { Materialized } from './options.ts';

export class BuilderContext {
  readonly graph = new TopologyGraph();

  constructor(
    private readonly defaultKeySerde: Serde<unknown> | undefined,
    private readonly defaultValueSerde: Serde<unknown> | undefined,
  ) {}

  keySerde<T>(...candidates: (Serde<T> | undefined)[]): Serde<T> {
    return (candidates.find((c) => c !== undefined) ??
      this.defaultKeySerde ??
      Serdes.json()) as Serde<T>;
  }

  valueSerde<T>(...candidates: (Serde<T> | undefined)[]): Serde<T> {
    return (candidates.find((c) => c !== undefined) ??
      this.defaultValueSerde ??
      Serdes.json()) as Serde<T>;
  }

  /** The store's name: the application's, or a generated one. */
  storeName(prefix: string, materialized?: Materialized<unknown, unknown>): string {
    const name = materialized?.storeName ?? `${this.graph.newName(prefix)}-store`;
    if (this.graph.hasStore(name)) throw new TopologyError(`a store named ${name} exists already`);
    return name;
  }

  addKeyValueStore(
    name: string,
    keySerde: Serde<unknown>,
    valueSerde: Serde<unknown>,
    logged: boolean,
  ): void {
    const def: StoreDef = {
      name,
      logged,
      create: () => new KeyValueStore(name, keySerde, valueSerde),
    };
    this.graph.addStore(def);
  }

  addTimeIndexedStore(options: {
    name: string;
    kind: StoreKind;
    keySerde: Serde<unknown>;
    valueSerde: Serde<unknown>;
    expiresAtMs: (entry: IndexedEntry<unknown, unknown>) => number;
    logged: boolean;
  }): void {
    const { name, kind, keySerde, valueSerde, expiresAtMs, logged } = options;
    this.graph.addStore({
      name,
      logged,
      create: () => new TimeIndexedStore(name, kind, keySerde, valueSerde, expiresAtMs),
    });
  }
}
