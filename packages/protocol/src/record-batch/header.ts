/**
 * A read-only view of a batch's fixed header: every field is read on demand from the
 * bytes, and records are never decoded. This is what the broker and the segment store use
 * on the append and read paths.
 */
import { assert } from './assert.ts';
import { crc32c } from './crc32c.ts';
import { CorruptBatchError, RecordBatchTooLargeError } from './errors.ts';
import { readInt64 } from './int64.ts';
import {
  BatchField,
  batchHeaderBytes,
  batchLengthFieldEndBytes,
  type CompressionType,
  compressionMask,
  controlBit,
  crcCoveredFromByte,
  recordBatchBytesMax,
  recordBatchMagic,
  type TimestampType,
  timestampTypeBit,
  transactionalBit,
} from './layout.ts';

/** The smallest possible encoded record: seven one-byte fields. */
const recordBytesMin = 7;

export class RecordBatchView {
  /** Exactly the batch's bytes (a view, not a copy). */
  readonly bytes: Uint8Array;
  private readonly data: DataView;

  constructor(bytes: Uint8Array) {
    if (bytes.length < batchHeaderBytes) {
      throw new CorruptBatchError(`batch of ${bytes.length} bytes is shorter than its header`);
    }
    this.bytes = bytes;
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }
  /** NaN when the stored value is outside the safe integer range. */
  get baseOffset(): number {
    return readInt64(this.data, BatchField.baseOffset);
  }
  get batchLength(): number {
    return this.data.getInt32(BatchField.batchLength);
  }
  get partitionLeaderEpoch(): number {
    return this.data.getInt32(BatchField.partitionLeaderEpoch);
  }
  get magic(): number {
    return this.data.getInt8(BatchField.magic);
  }
  get crc(): number {
    return this.data.getUint32(BatchField.crc);
  }
  get attributes(): number {
    return this.data.getInt16(BatchField.attributes);
  }
  get compressionType(): CompressionType {
    return (this.attributes & compressionMask) as CompressionType;
  }
  get timestampType(): TimestampType {
    return (this.attributes & timestampTypeBit) === 0 ? 0 : 1;
  }
  get isTransactional(): boolean {
    return (this.attributes & transactionalBit) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & controlBit) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.data.getInt32(BatchField.lastOffsetDelta);
  }
  /** The offset of the last record: baseOffset + lastOffsetDelta. */
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  get baseTimestamp(): number {
    return readInt64(this.data, BatchField.baseTimestamp);
  }
  get maxTimestamp(): number {
    return readInt64(this.data, BatchField.maxTimestamp);
  }
  get producerId(): number {
    return readInt64(this.data, BatchField.producerId);
  }
  get producerEpoch(): number {
    return this.data.getInt16(BatchField.producerEpoch);
  }
  get baseSequence(): number {
    return this.data.getInt32(BatchField.baseSequence);
  }
  get recordCount(): number {
    return this.data.getInt32(BatchField.recordCount);
  }

  /** The CRC-32C the stored bytes actually have. */
  computeCrc(): number {
    return crc32c(this.bytes, crcCoveredFromByte, this.bytes.length);
  }
}

export interface CheckBatchOptions {
  /** Refuse batches larger than this (RecordBatchTooLargeError). */
  readonly sizeBytesMax?: number;
  /**
   * Skip the CRC-32C (default: check it). Only for bytes already checked once and carried
   * since under another checksum (the xxhash64 of a Raft entry's batch frame).
   */
  readonly crcAlreadyVerified?: boolean;
}

/** The batch length a header claims, or -1 when `bytes` cannot hold the field. */
export function claimedBatchSize(bytes: Uint8Array, position = 0): number {
  if (bytes.length - position < batchLengthFieldEndBytes) return -1;
  const view = new DataView(bytes.buffer, bytes.byteOffset + position, batchLengthFieldEndBytes);
  return batchLengthFieldEndBytes + view.getInt32(BatchField.batchLength);
}

/**
 * Checks that `bytes` is exactly one well-formed batch: sizes, magic, field ranges and the
 * CRC. Records are not decoded. Raises CorruptBatchError or RecordBatchTooLargeError.
 */
export function checkRecordBatch(
  bytes: Uint8Array,
  options: CheckBatchOptions = {},
): RecordBatchView {
  const sizeBytesMax = options.sizeBytesMax ?? recordBatchBytesMax;
  if (bytes.length > sizeBytesMax) throw new RecordBatchTooLargeError(bytes.length, sizeBytesMax);
  const batch = new RecordBatchView(bytes);
  checkHeaderFields(batch);
  if (!options.crcAlreadyVerified) checkBatchCrc(batch);
  return batch;
}

/**
 * The CRC-32C half of `checkRecordBatch`, for a batch whose header it already checked
 * without the CRC (the segment store checks the CRC later, once it has room for the batch).
 */
export function checkBatchCrc(batch: RecordBatchView): void {
  const actualCrc = batch.computeCrc();
  if (actualCrc !== batch.crc) {
    throw new CorruptBatchError(
      `CRC-32C mismatch: header says ${batch.crc.toString(16)}, bytes give ${actualCrc.toString(16)}`,
    );
  }
}

function checkHeaderFields(batch: RecordBatchView): void {
  const size = batch.sizeBytes;
  if (batch.batchLength !== size - batchLengthFieldEndBytes) {
    throw new CorruptBatchError(`batchLength ${batch.batchLength} does not match ${size} bytes`);
  }
  if (batch.magic !== recordBatchMagic) {
    throw new CorruptBatchError(`magic ${batch.magic} is not ${recordBatchMagic}`);
  }
  if (batch.compressionType > 4) {
    throw new CorruptBatchError(`unknown compression type ${batch.compressionType}`);
  }
  const count = batch.recordCount;
  const lastDelta = batch.lastOffsetDelta;
  if (count < 0) throw new CorruptBatchError(`negative record count ${count}`);
  if (lastDelta < 0) throw new CorruptBatchError(`negative lastOffsetDelta ${lastDelta}`);
  if (count > lastDelta + 1) {
    throw new CorruptBatchError(`${count} records cannot fit offset deltas 0..${lastDelta}`);
  }
  if (batch.compressionType === 0 && count * recordBytesMin > size - batchHeaderBytes) {
    throw new CorruptBatchError(`${count} records cannot fit in ${size - batchHeaderBytes} bytes`);
  }
  checkInt64Fields(batch);
}

function checkInt64Fields(batch: RecordBatchView): void {
  const baseOffset = batch.baseOffset;
  if (!Number.isSafeInteger(baseOffset)) throw new CorruptBatchError('baseOffset out of range');
  if (!Number.isSafeInteger(baseOffset + batch.lastOffsetDelta)) {
    throw new CorruptBatchError('last offset out of range');
  }
  if (!Number.isSafeInteger(batch.baseTimestamp)) {
    throw new CorruptBatchError('baseTimestamp out of range');
  }
  if (!Number.isSafeInteger(batch.maxTimestamp)) {
    throw new CorruptBatchError('maxTimestamp out of range');
  }
  if (!Number.isSafeInteger(batch.producerId)) {
    throw new CorruptBatchError('producerId out of range');
  }
}

/**
 * Splits a buffer holding whole batches back to back (as a produce request carries them)
 * into views, checking only that the length fields tile the buffer exactly.
 */
export function splitRecordBatches(bytes: Uint8Array): Uint8Array[] {
  const batches: Uint8Array[] = [];
  let position = 0;
  while (position < bytes.length) {
    const size = claimedBatchSize(bytes, position);
    if (size < batchHeaderBytes || size > bytes.length - position) {
      throw new CorruptBatchError(`batch at byte ${position} claims ${size} bytes`);
    }
    batches.push(bytes.subarray(position, position + size));
    position += size;
  }
  assert(position === bytes.length, 'batches tile the buffer');
  return batches;
}
