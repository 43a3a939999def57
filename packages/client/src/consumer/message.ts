/**
 * Messages as the application sees them: KafkaJS's shape, with `offset` a bigint and
 * `timestamp` in milliseconds. `key` and `value` are Buffers viewing the fetched bytes (no
 * copy); copy them if they must outlive the batch for long.
 *
 * A fetched message is a FetchedMessage: one small object per record that keeps where its
 * fields lie in the batch, and builds `offset`, `timestamp`, `key` and `value` when they are
 * read. Why: a chunk's messages all live until its handler returns, so every object made per
 * record survives young-generation collections and is copied by them; a Buffer and a bigint
 * per record cost the consumer more than decoding the record did (docs/benchmarks.md).
 * Each record is still decoded and checked in full when its message is made, so a corrupt
 * batch fails there, never later in a getter.
 */
import { RecordBatchView, RecordCursor, TimestampType } from '@tributary/protocol';
import { assert } from '../assert.ts';

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

type Headers = Readonly<Record<string, Buffer | Buffer[]>>;

const noHeaders: Headers = Object.freeze({});

/** Slots per record in `BatchOrigin.fields`. */
const fieldsPerRecord = 6;
const offsetDeltaSlot = 0;
const timestampDeltaSlot = 1;
const keyStartSlot = 2;
const keyLengthSlot = 3;
const valueStartSlot = 4;
const valueLengthSlot = 5;

/**
 * What the messages of one stored batch share: their bytes, what their deltas add to, and
 * each record's field positions in one typed array (outside the JavaScript heap).
 * Why the positions are here and not in each message: a slice's messages live while its
 * handler runs, and V8 promotes (or pretenures) them to the old generation; eight numbers
 * per message made them 104 bytes, 116 MB promoted per million records in eachBatch mode
 * (heap sampling of objects only a full GC collected). A message now holds its origin and
 * its index: 56 bytes.
 */
class BatchOrigin {
  /** A Buffer, so views of it are Buffers made by `subarray`, the cheapest way to make one. */
  readonly section: Buffer;
  readonly baseOffset: number;
  readonly baseTimestamp: number;
  /** The broker's time for every record of a log-append-time batch, else null. */
  readonly logAppendTime: number | null;
  /** `fieldsPerRecord` numbers per record, in record order. */
  readonly fields: Float64Array;
  /** Header maps by record index, for the records that have headers (rare). */
  headers: Map<number, Headers> | null = null;
  #recorded = 0;

  constructor(batch: RecordBatchView, cursor: RecordCursor) {
    this.section = bufferOf(cursor.section);
    this.baseOffset = batch.baseOffset;
    this.baseTimestamp = batch.baseTimestamp;
    this.logAppendTime =
      batch.timestampType === TimestampType.logAppendTime ? batch.maxTimestamp : null;
    // Every record takes at least one byte, so a corrupt count cannot make this huge: the
    // cursor throws once the section runs out.
    const capacity = Math.min(batch.recordCount, this.section.length);
    this.fields = new Float64Array(Math.max(0, capacity) * fieldsPerRecord);
  }

  /** Stores the cursor's current record; returns its index. */
  record(cursor: RecordCursor): number {
    const index = this.#recorded;
    const at = index * fieldsPerRecord;
    assert(at < this.fields.length, 'more records than the batch header counts');
    const fields = this.fields;
    fields[at + offsetDeltaSlot] = cursor.offsetDelta;
    fields[at + timestampDeltaSlot] = cursor.timestampDelta;
    fields[at + keyStartSlot] = cursor.keyStart;
    fields[at + keyLengthSlot] = cursor.keyLength;
    fields[at + valueStartSlot] = cursor.valueStart;
    fields[at + valueLengthSlot] = cursor.valueLength;
    // Headers are rare and their keys must be checked as UTF-8: decoded now, as before.
    if (cursor.headerCount !== 0) {
      this.headers ??= new Map();
      this.headers.set(index, headersOf(cursor));
    }
    this.#recorded = index + 1;
    return index;
  }

  field(index: number, slot: number): number {
    return this.fields[index * fieldsPerRecord + slot]!;
  }

  /** A Buffer over `section[start, start + length)`, or null for a null field (length -1). */
  view(index: number, startSlot: number): Buffer | null {
    const at = index * fieldsPerRecord + startSlot;
    const length = this.fields[at + 1]!;
    if (length < 0) return null;
    const start = this.fields[at]!;
    return this.section.subarray(start, start + length);
  }
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * One fetched record. `topic` and `partition` are plain properties; the others are read-only
 * accessors over the batch, and `key` and `value` give a new view of the same bytes on each
 * read (so `message.value === message.value` is false; their contents are equal).
 */
export class FetchedMessage implements ConsumerMessage {
  readonly topic: string;
  readonly partition: number;
  readonly #origin: BatchOrigin;
  readonly #index: number;

  constructor(topic: string, partition: number, origin: BatchOrigin, cursor: RecordCursor) {
    this.topic = topic;
    this.partition = partition;
    this.#origin = origin;
    this.#index = origin.record(cursor);
  }

  get offset(): bigint {
    return BigInt(this.#offsetNumber());
  }

  #offsetNumber(): number {
    return this.#origin.baseOffset + this.#origin.field(this.#index, offsetDeltaSlot);
  }

  /**
   * A message's offset as a number, without the bigint `offset` makes: delivery moves the
   * position past every record handed out, and a bigint a record costs an allocation.
   */
  static offsetNumberOf(message: ConsumerMessage): number {
    return #origin in message
      ? (message as FetchedMessage).#offsetNumber()
      : Number(message.offset);
  }

  get timestamp(): number {
    const origin = this.#origin;
    return (
      origin.logAppendTime ?? origin.baseTimestamp + origin.field(this.#index, timestampDeltaSlot)
    );
  }

  get key(): Buffer | null {
    return this.#origin.view(this.#index, keyStartSlot);
  }

  get value(): Buffer | null {
    return this.#origin.view(this.#index, valueStartSlot);
  }

  get headers(): Headers {
    return this.#origin.headers?.get(this.#index) ?? noHeaders;
  }

  /** The message as a plain object (what `{ ...message }` would give were the fields own). */
  toObject(): ConsumerMessage {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key,
      value: this.value,
      headers: this.headers,
    };
  }

  /** console.log and util.inspect show the fields, not an empty-looking object. */
  [inspectSymbol](): ConsumerMessage {
    return this.toObject();
  }
}

/** A Buffer over the same bytes; the cursor's views already are Buffers when the fetched bytes are. */
function bufferOf(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headersOf(cursor: RecordCursor): Headers {
  const headers: Record<string, Buffer | Buffer[]> = {};
  for (const header of cursor.headers()) {
    const value = header.value === null ? Buffer.alloc(0) : bufferOf(header.value);
    const existing = headers[header.key];
    if (existing === undefined) headers[header.key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[header.key] = [existing, value];
  }
  return headers;
}

interface OpenedBatch {
  readonly cursor: RecordCursor;
  readonly origin: BatchOrigin;
}

/** A cursor over a batch's records, or null when the batch holds nothing to deliver. */
function openBatch(bytes: Uint8Array, fromOffset: number): OpenedBatch | null {
  const batch = new RecordBatchView(bytes);
  if (batch.isControl || batch.lastOffset < fromOffset) return null;
  const cursor = new RecordCursor(batch);
  return { cursor, origin: new BatchOrigin(batch, cursor) };
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
    const opened = openBatch(bytes, fromOffset);
    if (opened === null) continue;
    const { cursor, origin } = opened;
    while (cursor.next()) {
      if (cursor.offset >= fromOffset) yield new FetchedMessage(topic, partition, origin, cursor);
    }
  }
}

/**
 * The records `messagesOf` yields, as an array built without a generator (for eachBatch).
 * The array is sized from the batch headers' record counts first: grown by push, a slice of
 * 8,192 messages reallocated its backing store a dozen times.
 */
export function messageListOf(
  topic: string,
  partition: number,
  batches: readonly Uint8Array[],
  fromOffset: number,
): ConsumerMessage[] {
  const opened: OpenedBatch[] = [];
  let capacity = 0;
  for (const bytes of batches) {
    const batch = openBatch(bytes, fromOffset);
    if (batch === null) continue;
    opened.push(batch);
    capacity += batch.origin.fields.length / fieldsPerRecord;
  }
  const messages = new Array<ConsumerMessage>(capacity);
  let count = 0;
  for (const { cursor, origin } of opened) {
    while (cursor.next()) {
      if (cursor.offset >= fromOffset) {
        messages[count++] = new FetchedMessage(topic, partition, origin, cursor);
      }
    }
  }
  messages.length = count;
  return messages;
}
