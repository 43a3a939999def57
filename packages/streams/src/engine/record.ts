/** The shapes records take inside the engine. */

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export type RecordHeaders = readonly RecordHeader[];

/** A deserialized record flowing between processors. */
export interface StreamRecord<K = unknown, V = unknown> {
  readonly key: K;
  readonly value: V;
  /** Event time, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/** What a table forwards: its new value for a key and the one it replaces (null: none). */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}

/** A record as read from a topic partition, still in bytes. */
export interface InputRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/** A record a task writes to a topic; `partition` undefined lets the producer's key hash choose. */
export interface OutputRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/** Where the record being processed came from. */
export interface RecordContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}
