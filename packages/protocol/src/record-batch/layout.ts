/**
 * The byte layout of a record batch, Kafka's RecordBatch v2 (magic 2), big-endian:
 *
 *   offset  size  field
 *        0     8  baseOffset            int64   rewritten by the broker (outside the CRC)
 *        8     4  batchLength           int32   bytes after this field (total - 12)
 *       12     4  partitionLeaderEpoch  int32   (outside the CRC)
 *       16     1  magic                 int8    = 2
 *       17     4  crc                   uint32  CRC-32C of bytes [21, end)
 *       21     2  attributes            int16   see the bits below
 *       23     4  lastOffsetDelta       int32
 *       27     8  baseTimestamp         int64
 *       35     8  maxTimestamp          int64
 *       43     8  producerId            int64
 *       51     2  producerEpoch         int16
 *       53     4  baseSequence          int32
 *       57     4  recordCount           int32
 *       61     …  records (possibly compressed as one block)
 *
 * record = length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *          | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
 *          | headerCount varint | header*
 * header = keyLength varint | key (UTF-8) | valueLength varint (-1 = null) | value
 *
 * Varints are zigzag-encoded LEB128 as in protobuf and Kafka: varint is 32-bit, varlong
 * 64-bit (we accept only values that are safe JavaScript integers).
 */

export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

/** Size of the fixed header; records start here. */
export const batchHeaderBytes = 61;
/** baseOffset and batchLength precede what batchLength counts. */
export const batchLengthFieldEndBytes = 12;
/** The CRC covers everything from the attributes to the end of the batch. */
export const crcCoveredFromByte = BatchField.attributes;
export const recordBatchMagic = 2;

/** Largest batch the codec accepts at all; callers enforce their own, smaller limits. */
export const recordBatchBytesMax = 64 * 1024 * 1024;
/** Largest decompressed records section; guards against compression bombs. */
export const recordsDecompressedBytesMax = 128 * 1024 * 1024;
/** A batch with more records than this is refused (Kafka has no tighter rule). */
export const recordCountMax = 2 ** 31 - 1;
export const headerCountMax = 65_536;

/** Attribute bits. */
export const compressionMask = 0x07;
export const timestampTypeBit = 0x08;
export const transactionalBit = 0x10;
export const controlBit = 0x20;
/** Bits 6..15 are unused by magic 2 (bit 6 is KIP-534's delete horizon, not used here). */
export const attributesKnownMask =
  compressionMask | timestampTypeBit | transactionalBit | controlBit;

export const CompressionType = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

export const compressionNames: Readonly<Record<CompressionType, string>> = {
  0: 'none',
  1: 'gzip',
  2: 'snappy',
  3: 'lz4',
  4: 'zstd',
};

export function isCompressionType(value: number): value is CompressionType {
  return Number.isInteger(value) && value >= 0 && value <= 4;
}

export const TimestampType = {
  /** Set by the producer. */
  createTime: 0,
  /** Set by the broker when it appends (maxTimestamp holds it for every record). */
  logAppendTime: 1,
} as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** Kafka's "no producer" values for non-idempotent batches. */
export const noProducerId = -1;
export const noProducerEpoch = -1;
export const noSequence = -1;
export const noPartitionLeaderEpoch = -1;
