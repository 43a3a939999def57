/**
 * Decodes the records of one batch, one at a time. A RecordCursor walks the records section
 * (decompressed once, on creation) and exposes the current record's fields without
 * allocating; `key()`, `value()` and `headers()` materialise views on demand. Every length
 * and varint is bounds-checked, offset deltas must rise within [0, lastOffsetDelta], and
 * the section must hold exactly `recordCount` records: anything else is CorruptBatchError.
 */
import {
  type CompressionCodecTable,
  compressionCodecFor,
  defaultCompressionCodecs,
} from '../compression/codec.ts';
import { ByteReader } from './byte-reader.ts';
import { CorruptBatchError } from './errors.ts';
import { RecordBatchView } from './header.ts';
import {
  batchHeaderBytes,
  CompressionType,
  headerCountMax,
  recordsDecompressedBytesMax,
  TimestampType,
} from './layout.ts';
import type { BatchRecord, RecordHeader } from './record.ts';

export interface RecordDecodeOptions {
  readonly codecs?: CompressionCodecTable;
  readonly decompressedBytesMax?: number;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The records section of `batch`, decompressed if the batch is compressed. */
export function recordsSection(
  batch: RecordBatchView,
  options: RecordDecodeOptions = {},
): Uint8Array {
  const stored = batch.bytes.subarray(batchHeaderBytes);
  if (batch.compressionType === CompressionType.none) return stored;
  const codec = compressionCodecFor(
    batch.compressionType,
    options.codecs ?? defaultCompressionCodecs,
  );
  return codec.decompress(stored, options.decompressedBytesMax ?? recordsDecompressedBytesMax);
}

export class RecordCursor {
  private readonly reader: ByteReader;
  private readonly baseOffset: number;
  private readonly baseTimestamp: number;
  private readonly logAppendTime: number | null;
  private readonly lastOffsetDelta: number;
  private readonly recordCount: number;
  private index = 0;

  /**
   * Fields of the current record (valid after `next()` returned true). The positions index
   * `section`, so a caller can keep them and make views later without decoding again.
   */
  offsetDelta = -1;
  offset = -1;
  timestampDelta = 0;
  timestamp = -1;
  keyStart = 0;
  keyLength = -1;
  valueStart = 0;
  valueLength = -1;
  headersStart = 0;
  headerCount = 0;

  constructor(batch: RecordBatchView, options: RecordDecodeOptions = {}) {
    const section = recordsSection(batch, options);
    this.reader = new ByteReader(section, 0, section.length);
    this.baseOffset = batch.baseOffset;
    this.baseTimestamp = batch.baseTimestamp;
    this.logAppendTime =
      batch.timestampType === TimestampType.logAppendTime ? batch.maxTimestamp : null;
    this.lastOffsetDelta = batch.lastOffsetDelta;
    this.recordCount = batch.recordCount;
    if (!Number.isSafeInteger(this.baseOffset) || !Number.isSafeInteger(this.baseTimestamp)) {
      throw new CorruptBatchError('batch header fields out of range');
    }
  }

  /** Moves to the next record; false after the last one. */
  next(): boolean {
    const reader = this.reader;
    if (this.index === this.recordCount) {
      if (reader.remaining() !== 0) {
        throw new CorruptBatchError(`${reader.remaining()} bytes after the last record`);
      }
      return false;
    }
    const length = reader.readVarint();
    if (length < 0 || length > reader.remaining()) {
      throw new CorruptBatchError(`record length ${length} overruns the batch`);
    }
    const end = reader.position + length;
    reader.readInt8(); // record attributes: unused in magic 2
    const timestampDelta = reader.readVarlong();
    this.timestampDelta = timestampDelta;
    this.readOffsetDelta();
    this.keyLength = this.readNullableLength('key');
    this.keyStart = reader.position;
    reader.skip(Math.max(0, this.keyLength));
    this.valueLength = this.readNullableLength('value');
    this.valueStart = reader.position;
    reader.skip(Math.max(0, this.valueLength));
    this.skipHeaders();
    if (reader.position !== end) throw new CorruptBatchError('record length does not match fields');
    this.offset = this.baseOffset + this.offsetDelta;
    this.timestamp = this.logAppendTime ?? this.baseTimestamp + timestampDelta;
    if (!Number.isSafeInteger(this.timestamp))
      throw new CorruptBatchError('timestamp out of range');
    this.index += 1;
    return true;
  }

  /** The records section the positions index (decompressed if the batch is compressed). */
  get section(): Uint8Array {
    return this.reader.bytes;
  }

  get isTombstone(): boolean {
    return this.valueLength === -1;
  }

  key(): Uint8Array | null {
    if (this.keyLength < 0) return null;
    return this.reader.bytes.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  value(): Uint8Array | null {
    if (this.valueLength < 0) return null;
    return this.reader.bytes.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  headers(): RecordHeader[] {
    const reader = new ByteReader(this.reader.bytes, this.headersStart, this.reader.end);
    const headers: RecordHeader[] = [];
    for (let index = 0; index < this.headerCount; index++) {
      const keyBytes = reader.readView(reader.readVarint());
      let key: string;
      try {
        key = textDecoder.decode(keyBytes);
      } catch (error) {
        throw new CorruptBatchError('header key is not UTF-8', { cause: error });
      }
      const valueLength = reader.readVarint();
      const value = valueLength === -1 ? null : reader.readView(valueLength);
      headers.push({ key, value });
    }
    return headers;
  }

  /** The current record as an object (allocates; use the fields for hot loops). */
  record(): BatchRecord {
    return {
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key(),
      value: this.value(),
      headers: this.headers(),
    };
  }

  private readOffsetDelta(): void {
    const delta = this.reader.readVarint();
    if (delta <= this.offsetDelta || delta > this.lastOffsetDelta) {
      throw new CorruptBatchError(
        `offset delta ${delta} after ${this.offsetDelta} (last is ${this.lastOffsetDelta})`,
      );
    }
    this.offsetDelta = delta;
  }

  private readNullableLength(what: string): number {
    const length = this.reader.readVarint();
    if (length < -1) throw new CorruptBatchError(`${what} length ${length}`);
    return length;
  }

  private skipHeaders(): void {
    const reader = this.reader;
    const count = reader.readVarint();
    if (count < 0 || count > headerCountMax) throw new CorruptBatchError(`header count ${count}`);
    this.headerCount = count;
    this.headersStart = reader.position;
    for (let index = 0; index < count; index++) {
      const keyLength = reader.readVarint();
      if (keyLength < 0) throw new CorruptBatchError(`header key length ${keyLength}`);
      reader.skip(keyLength);
      const valueLength = reader.readVarint();
      if (valueLength < -1) throw new CorruptBatchError(`header value length ${valueLength}`);
      reader.skip(Math.max(0, valueLength));
    }
  }
}

function asView(batch: Uint8Array | RecordBatchView): RecordBatchView {
  return batch instanceof RecordBatchView ? batch : new RecordBatchView(batch);
}

/** Yields the batch's records one by one (decoding lazily, as the consumer pulls). */
export function* iterateRecords(
  batch: Uint8Array | RecordBatchView,
  options: RecordDecodeOptions = {},
): Generator<BatchRecord, void, undefined> {
  const cursor = new RecordCursor(asView(batch), options);
  while (cursor.next()) yield cursor.record();
}

/** All records of the batch as an array. */
export function decodeRecords(
  batch: Uint8Array | RecordBatchView,
  options: RecordDecodeOptions = {},
): BatchRecord[] {
  return Array.from(iterateRecords(batch, options));
}
