/**
 * Records as connectors and transforms see them: keys and values already converted from
 * bytes (or not yet converted to bytes), so a transform works on objects, not bytes.
 */

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Header values are kept as strings or bytes; the framework's own headers are strings. */
export type RecordHeaders = Record<string, string | Buffer>;

/** The shape every transform takes and returns. */
export interface ConnectRecord {
  readonly topic: string;
  /** A converted key: for the json converter a parsed value, for string a string, for bytes a Buffer. */
  readonly key: unknown;
  /** null is a tombstone (a deletion of the key). */
  readonly value: unknown;
  readonly headers: Readonly<RecordHeaders>;
  /** Milliseconds since the epoch; undefined: the producer stamps the time of sending. */
  readonly timestamp: number | undefined;
}

/** What a source task's poll returns, one per change it read. */
export interface SourceRecord {
  /** Which of the task's source partitions the record comes from (e.g. `table:orders`). */
  readonly sourcePartition: string;
  /** Where the source stands after this record; unique per record within its partition. */
  readonly position: JsonValue;
  /** Destination topic; default: the connector's `topic`. */
  readonly topic?: string;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers?: Readonly<RecordHeaders>;
  readonly timestamp?: number;
}

/** What a sink task is handed: a converted, transformed record and where it came from. */
export interface SinkRecord extends ConnectRecord {
  readonly partition: number;
  readonly offset: bigint;
}

export function positionKey(position: JsonValue): string {
  return JSON.stringify(position);
}
