/**
 * Messages as the application sees them: KafkaJS's shape, with `offset` a bigint and
 * `timestamp` in milliseconds. `key` and `value` are Buffers viewing the fetched bytes (no
 * copy); copy them if they must outlive the batch for long.
 */
import { RecordBatchView, RecordCursor } from '@tributary/protocol';

export interface ConsumerMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** Milliseconds since the epoch (-1: none). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  /** null is a tombstone. */
  readonly value: Buffer | null;
  /** Header values by key; a key that repeats maps to an array in order. */
  readonly headers: Readonly<Record<string, Buffer | Buffer[]>>;
}

const noHeaders: Readonly<Record<string, Buffer | Buffer[]>> = Object.freeze({});

/** A Buffer over the same bytes; the cursor's views already are Buffers when the fetched bytes are. */
function view(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null || Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headersOf(cursor: RecordCursor): Readonly<Record<string, Buffer | Buffer[]>> {
  if (cursor.headerCount === 0) return noHeaders;
  const headers: Record<string, Buffer | Buffer[]> = {};
  for (const header of cursor.headers()) {
    const value = view(header.value) ?? Buffer.alloc(0);
    const existing = headers[header.key];
    if (existing === undefined) headers[header.key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[header.key] = [existing, value];
  }
  return headers;
}

function messageAt(topic: string, partition: number, cursor: RecordCursor): ConsumerMessage {
  return {
    topic,
    partition,
    offset: BigInt(cursor.offset),
    timestamp: cursor.timestamp,
    key: view(cursor.key()),
    value: view(cursor.value()),
    headers: headersOf(cursor),
  };
}

/**
 * The records of whole stored batches at or after `fromOffset`, in offset order. Control
 * batches (transaction markers) are skipped.
 */
export function* messagesOf(
  topic: string,
  partition: number,
  batches: readonly Uint8Array[],
  fromOffset: number,
): Generator<ConsumerMessage, void, undefined> {
  for (const bytes of batches) {
    const batch = new RecordBatchView(bytes);
    if (batch.isControl || batch.lastOffset < fromOffset) continue;
    const cursor = new RecordCursor(batch);
    while (cursor.next()) {
      if (cursor.offset >= fromOffset) yield messageAt(topic, partition, cursor);
    }
  }
}

/** The records `messagesOf` yields, as an array built without a generator (for eachBatch). */
export function messageListOf(
  topic: string,
  partition: number,
  batches: readonly Uint8Array[],
  fromOffset: number,
): ConsumerMessage[] {
  const messages: ConsumerMessage[] = [];
  for (const bytes of batches) {
    const batch = new RecordBatchView(bytes);
    if (batch.isControl || batch.lastOffset < fromOffset) continue;
    const cursor = new RecordCursor(batch);
    while (cursor.next()) {
      if (cursor.offset >= fromOffset) messages.push(messageAt(topic, partition, cursor));
    }
  }
  return messages;
}
