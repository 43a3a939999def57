/** Option objects of the DSL, named after Kafka Streams' (Consumed, Produced, Grouped...). */
import type { Serde } from '../serdes.ts';

export interface Consumed<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export interface Produced<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

/** How a stream is grouped; `name` names the repartition topic if one is needed. */
export interface Grouped<K, V> {
  readonly name?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export interface Repartitioned<K, V> {
  readonly name?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  /** Partitions of the repartition topic (default: as many as the largest input topic). */
  readonly partitions?: number;
}

/** A store's name (what interactive queries use), serdes, and whether it has a changelog. */
export interface Materialized<K, V> {
  readonly storeName?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  /** Write changes to `<applicationId>-<store>-changelog` (default true). */
  readonly logging?: boolean;
  /** Windowed stores: how long after its start a window stays queryable (default size + grace). */
  readonly retentionMs?: number;
}

export interface Joined<K, V, VO> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly otherValueSerde?: Serde<VO>;
}

export interface StreamJoined<K, V, VO> extends Joined<K, V, VO> {
  /** Prefix of the two join buffer stores' names. */
  readonly storeName?: string;
  readonly logging?: boolean;
}

export interface KeyValuePair<K, V> {
  readonly key: K;
  readonly value: V;
}
