/** The shapes of a record on its way into a batch and on its way out. */

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** What a producer hands the encoder. A null value is a tombstone (deletes its key). */
export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch; -1 means "no timestamp", as in Kafka. */
  readonly timestamp: number;
}

/** A record decoded from a stored batch. `key` and `value` are views into the batch. */
export interface BatchRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}
