/**
 * Encodes records into a RecordBatch v2. Records are written straight into one growing
 * buffer behind room for the header, so an uncompressed batch is built with no copy of
 * the record bytes beyond the first; compression, when asked for, compresses that block
 * once at `build()`.
 */
import {
  type CompressionCodecTable,
  compressionCodecFor,
  defaultCompressionCodecs,
} from '../compression/codec.ts';
import { assert } from './assert.ts';
import { crc32c } from './crc32c.ts';
import { InvalidRecordError, RecordBatchTooLargeError } from './errors.ts';
import { writeInt64 } from './int64.ts';
import {
  BatchField,
  batchHeaderBytes,
  batchLengthFieldEndBytes,
  CompressionType,
  controlBit,
  crcCoveredFromByte,
  headerCountMax,
  noPartitionLeaderEpoch,
  noProducerEpoch,
  noProducerId,
  noSequence,
  recordBatchBytesMax,
  recordBatchMagic,
  TimestampType,
  timestampTypeBit,
  transactionalBit,
} from './layout.ts';
import type { RecordHeader, RecordInput } from './record.ts';
import { isInt32, varintSize, varlongSize, writeVarint, writeVarlong } from './varint.ts';

export interface RecordBatchOptions {
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionType;
  readonly timestampType?: TimestampType;
  /** For logAppendTime batches: the broker's time, stored as maxTimestamp. */
  readonly logAppendTime?: number;
  readonly transactional?: boolean;
  readonly control?: boolean;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly codecs?: CompressionCodecTable;
  readonly initialCapacityBytes?: number;
  /**
   * Memory to build the batch in (its contents are overwritten), instead of a fresh
   * allocation of `initialCapacityBytes`; the builder moves to fresh memory if the batch
   * outgrows it. An uncompressed batch built here is a view of it.
   */
  readonly buffer?: Uint8Array;
}

export interface BuildOptions {
  /** Keep a larger lastOffsetDelta than the records need (compaction keeps the original). */
  readonly lastOffsetDelta?: number;
}

const textEncoder = new TextEncoder();
const initialCapacityBytesDefault = 1024;
const noHeaderKeys: readonly Uint8Array[] = [];
const noHeaders: readonly RecordHeader[] = [];
/** Below this, a byte loop beats TypedArray.prototype.set. */
const shortCopyBytesMax = 32;

/**
 * Room for a batch, not zero-filled: the builder writes every byte of the batch it returns
 * (the header in build(), each record in append()), and only that prefix is ever exposed.
 * A zeroed allocation of a batch's size (hundreds of KB) costs several times the record
 * copies on this project's machines.
 */
function uninitializedBytes(size: number): Uint8Array {
  const memory = Buffer.allocUnsafe(size);
  // A plain Uint8Array, as before: records read back from the batch are views of it.
  return new Uint8Array(memory.buffer, memory.byteOffset, memory.byteLength);
}

export class RecordBatchBuilder {
  private readonly options: RecordBatchOptions;
  private buffer: Uint8Array;
  private position = batchHeaderBytes;
  private count = 0;
  private lastDelta = -1;
  private firstTimestamp = 0;
  private maxTimestamp = -1;
  private built = false;

  constructor(options: RecordBatchOptions = {}) {
    this.options = options;
    checkBatchOptions(options);
    if (options.buffer !== undefined) {
      assert(options.buffer.byteLength >= batchHeaderBytes, 'a batch buffer holds the header');
      this.buffer = options.buffer;
    } else {
      this.buffer = uninitializedBytes(options.initialCapacityBytes ?? initialCapacityBytesDefault);
    }
  }

  get recordCount(): number {
    return this.count;
  }

  /** Bytes the batch would take uncompressed. */
  get sizeBytes(): number {
    return this.position;
  }

  /** Appends one record; `offsetDelta` defaults to one past the previous record's. */
  append(record: RecordInput, offsetDelta = this.lastDelta + 1): void {
    assert(!this.built, 'append after build');
    if (!isInt32(offsetDelta) || offsetDelta <= this.lastDelta) {
      throw new InvalidRecordError(`offset delta ${offsetDelta} after ${this.lastDelta}`);
    }
    checkRecord(record);
    if (this.count === 0) this.firstTimestamp = record.timestamp;
    const timestampDelta = record.timestamp - this.firstTimestamp;
    if (!Number.isSafeInteger(timestampDelta)) {
      throw new InvalidRecordError(`timestamp ${record.timestamp} too far from the first`);
    }
    const headers = record.headers;
    const headerKeys =
      headers === undefined || headers.length === 0
        ? noHeaderKeys
        : headers.map((header) => textEncoder.encode(header.key));
    const bodySize = recordBodySize(record, timestampDelta, offsetDelta, headerKeys);
    this.ensureCapacity(varintSize(bodySize) + bodySize);
    const start = this.position;
    let at = writeVarint(this.buffer, start, bodySize);
    const bodyStart = at;
    this.buffer[at++] = 0; // record attributes: unused in magic 2
    at = writeVarlong(this.buffer, at, timestampDelta);
    at = writeVarint(this.buffer, at, offsetDelta);
    at = this.writeNullableBytes(at, record.key);
    at = this.writeNullableBytes(at, record.value);
    at = this.writeHeaders(at, record.headers ?? noHeaders, headerKeys);
    assert(at - bodyStart === bodySize, 'record body size matches its prefix');
    this.position = at;
    this.count += 1;
    this.lastDelta = offsetDelta;
    if (record.timestamp > this.maxTimestamp) this.maxTimestamp = record.timestamp;
  }

  /** Finishes the batch. The builder cannot be used again. */
  build(options: BuildOptions = {}): Uint8Array {
    assert(!this.built, 'build called twice');
    if (this.count === 0) throw new InvalidRecordError('a batch needs at least one record');
    const lastOffsetDelta = options.lastOffsetDelta ?? this.lastDelta;
    if (!isInt32(lastOffsetDelta) || lastOffsetDelta < this.lastDelta) {
      throw new InvalidRecordError(`lastOffsetDelta ${lastOffsetDelta} < ${this.lastDelta}`);
    }
    this.built = true;
    const batch = this.compressedOrPlain();
    this.writeHeader(batch, lastOffsetDelta);
    return batch;
  }

  private compressedOrPlain(): Uint8Array {
    const compression = this.options.compression ?? CompressionType.none;
    if (compression === CompressionType.none) return this.buffer.subarray(0, this.position);
    const codec = compressionCodecFor(compression, this.options.codecs ?? defaultCompressionCodecs);
    const compressed = codec.compress(this.buffer.subarray(batchHeaderBytes, this.position));
    const batch = new Uint8Array(batchHeaderBytes + compressed.length);
    batch.set(compressed, batchHeaderBytes);
    if (batch.length > recordBatchBytesMax) {
      throw new RecordBatchTooLargeError(batch.length, recordBatchBytesMax);
    }
    return batch;
  }

  private writeHeader(batch: Uint8Array, lastOffsetDelta: number): void {
    const o = this.options;
    const view = new DataView(batch.buffer, batch.byteOffset, batchHeaderBytes);
    const logAppendTime = o.timestampType === TimestampType.logAppendTime;
    writeInt64(view, BatchField.baseOffset, o.baseOffset ?? 0);
    view.setInt32(BatchField.batchLength, batch.length - batchLengthFieldEndBytes);
    view.setInt32(
      BatchField.partitionLeaderEpoch,
      o.partitionLeaderEpoch ?? noPartitionLeaderEpoch,
    );
    view.setInt8(BatchField.magic, recordBatchMagic);
    view.setInt16(BatchField.attributes, batchAttributes(o));
    view.setInt32(BatchField.lastOffsetDelta, lastOffsetDelta);
    writeInt64(view, BatchField.baseTimestamp, this.firstTimestamp);
    writeInt64(view, BatchField.maxTimestamp, logAppendTime ? o.logAppendTime! : this.maxTimestamp);
    writeInt64(view, BatchField.producerId, o.producerId ?? noProducerId);
    view.setInt16(BatchField.producerEpoch, o.producerEpoch ?? noProducerEpoch);
    view.setInt32(BatchField.baseSequence, o.baseSequence ?? noSequence);
    view.setInt32(BatchField.recordCount, this.count);
    view.setUint32(BatchField.crc, crc32c(batch, crcCoveredFromByte, batch.length));
  }

  private ensureCapacity(extraBytes: number): void {
    const needed = this.position + extraBytes;
    if (needed > recordBatchBytesMax)
      throw new RecordBatchTooLargeError(needed, recordBatchBytesMax);
    if (needed <= this.buffer.length) return;
    const grown = uninitializedBytes(
      Math.min(recordBatchBytesMax, Math.max(needed, this.buffer.length * 2)),
    );
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
  }

  private writeNullableBytes(at: number, bytes: Uint8Array | null): number {
    const buffer = this.buffer;
    if (bytes === null) return writeVarint(buffer, at, -1);
    const next = writeVarint(buffer, at, bytes.length);
    const length = bytes.length;
    if (length <= shortCopyBytesMax) {
      for (let i = 0; i < length; i++) buffer[next + i] = bytes[i]!;
    } else {
      buffer.set(bytes, next);
    }
    return next + length;
  }

  private writeHeaders(
    at: number,
    headers: readonly RecordHeader[],
    headerKeys: readonly Uint8Array[],
  ): number {
    let next = writeVarint(this.buffer, at, headers.length);
    for (let index = 0; index < headers.length; index++) {
      next = this.writeNullableBytes(next, headerKeys[index]!);
      next = this.writeNullableBytes(next, headers[index]!.value);
    }
    return next;
  }
}

function nullableBytesSize(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length;
}

function recordBodySize(
  record: RecordInput,
  timestampDelta: number,
  offsetDelta: number,
  headerKeys: readonly Uint8Array[],
): number {
  let size = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta);
  size += nullableBytesSize(record.key) + nullableBytesSize(record.value);
  const headers = record.headers ?? [];
  size += varintSize(headers.length);
  headers.forEach((header, index) => {
    size += nullableBytesSize(headerKeys[index]!) + nullableBytesSize(header.value);
  });
  return size;
}

function checkRecord(record: RecordInput): void {
  if (!Number.isSafeInteger(record.timestamp) || record.timestamp < -1) {
    throw new InvalidRecordError(`timestamp ${record.timestamp} is not a safe integer >= -1`);
  }
  if (record.key !== null && !(record.key instanceof Uint8Array)) {
    throw new InvalidRecordError('key must be a Uint8Array or null');
  }
  if (record.value !== null && !(record.value instanceof Uint8Array)) {
    throw new InvalidRecordError('value must be a Uint8Array or null');
  }
  const headers = record.headers ?? noHeaders;
  if (headers.length > headerCountMax) {
    throw new InvalidRecordError(`${headers.length} headers exceed ${headerCountMax}`);
  }
  for (const header of headers) {
    if (typeof header.key !== 'string') throw new InvalidRecordError('header key must be a string');
    if (header.value !== null && !(header.value instanceof Uint8Array)) {
      throw new InvalidRecordError('header value must be a Uint8Array or null');
    }
  }
}

function batchAttributes(options: RecordBatchOptions): number {
  let attributes = options.compression ?? CompressionType.none;
  if (options.timestampType === TimestampType.logAppendTime) attributes |= timestampTypeBit;
  if (options.transactional === true) attributes |= transactionalBit;
  if (options.control === true) attributes |= controlBit;
  return attributes;
}

function checkBatchOptions(options: RecordBatchOptions): void {
  const baseOffset = options.baseOffset ?? 0;
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new InvalidRecordError(`baseOffset ${baseOffset} is not a safe integer >= 0`);
  }
  const producerId = options.producerId ?? noProducerId;
  if (!Number.isSafeInteger(producerId) || producerId < -1) {
    throw new InvalidRecordError(`producerId ${producerId} is not a safe integer >= -1`);
  }
  const compression = options.compression ?? CompressionType.none;
  compressionCodecFor(compression, options.codecs ?? defaultCompressionCodecs);
  if (options.timestampType === TimestampType.logAppendTime) {
    const time = options.logAppendTime;
    if (time === undefined || !Number.isSafeInteger(time) || time < 0) {
      throw new InvalidRecordError('a logAppendTime batch needs logAppendTime >= 0');
    }
  }
  checkSmallInt('partitionLeaderEpoch', options.partitionLeaderEpoch ?? -1, 2 ** 31 - 1);
  checkSmallInt('producerEpoch', options.producerEpoch ?? -1, 2 ** 15 - 1);
  checkSmallInt('baseSequence', options.baseSequence ?? -1, 2 ** 31 - 1);
}

function checkSmallInt(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < -1 || value > max) {
    throw new InvalidRecordError(`${name} ${value} is outside [-1, ${max}]`);
  }
}

/** A capacity that holds `records` uncompressed, so the builder rarely grows. */
function estimatedBatchBytes(records: readonly RecordInput[]): number {
  const perRecordOverhead = 24; // length, attributes, deltas and length prefixes
  let bytes = batchHeaderBytes;
  for (const record of records) {
    bytes += perRecordOverhead + (record.key?.length ?? 0) + (record.value?.length ?? 0);
    for (const header of record.headers ?? noHeaders) {
      bytes += 10 + header.key.length * 3 + (header.value?.length ?? 0);
    }
  }
  return Math.min(bytes, recordBatchBytesMax);
}

/** Encodes `records` into one batch (offset deltas 0, 1, 2, …). */
export function encodeRecordBatch(
  records: readonly RecordInput[],
  options: RecordBatchOptions = {},
): Uint8Array {
  const initialCapacityBytes = options.initialCapacityBytes ?? estimatedBatchBytes(records);
  const builder = new RecordBatchBuilder({ ...options, initialCapacityBytes });
  for (const record of records) builder.append(record);
  return builder.build();
}

/**
 * A batch with no records that still spans offsets [baseOffset, baseOffset +
 * lastOffsetDelta]: Kafka's way (compaction leaves such batches) of keeping an offset range
 * accounted for when every record in it is gone. Consumers skip it.
 */
export function encodeEmptyRecordBatch(baseOffset: number, lastOffsetDelta: number): Uint8Array {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new InvalidRecordError(`baseOffset ${baseOffset} is not a safe integer >= 0`);
  }
  if (!isInt32(lastOffsetDelta) || lastOffsetDelta < 0) {
    throw new InvalidRecordError(`lastOffsetDelta ${lastOffsetDelta} is not an int32 >= 0`);
  }
  const batch = new Uint8Array(batchHeaderBytes);
  const view = new DataView(batch.buffer);
  writeInt64(view, BatchField.baseOffset, baseOffset);
  view.setInt32(BatchField.batchLength, batchHeaderBytes - batchLengthFieldEndBytes);
  view.setInt32(BatchField.partitionLeaderEpoch, noPartitionLeaderEpoch);
  view.setInt8(BatchField.magic, recordBatchMagic);
  view.setInt16(BatchField.attributes, 0);
  view.setInt32(BatchField.lastOffsetDelta, lastOffsetDelta);
  writeInt64(view, BatchField.baseTimestamp, -1);
  writeInt64(view, BatchField.maxTimestamp, -1);
  writeInt64(view, BatchField.producerId, noProducerId);
  view.setInt16(BatchField.producerEpoch, noProducerEpoch);
  view.setInt32(BatchField.baseSequence, noSequence);
  view.setInt32(BatchField.recordCount, 0);
  view.setUint32(BatchField.crc, crc32c(batch, crcCoveredFromByte, batch.length));
  return batch;
}
