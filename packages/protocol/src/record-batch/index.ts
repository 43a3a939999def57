// The record batch format (Kafka RecordBatch v2), its frame, and its checksums.
export type { CompressionCodec, CompressionCodecTable } from '../compression/codec.ts';
export { compressionCodecFor, defaultCompressionCodecs } from '../compression/codec.ts';
export * from './batch-frame.ts';
export type { BuildOptions, RecordBatchOptions } from './builder.ts';
export { encodeEmptyRecordBatch, encodeRecordBatch, RecordBatchBuilder } from './builder.ts';
export { checksumsReady, initChecksums, xxhash64 } from './checksums.ts';
export { crc32c, crc32cImplementation } from './crc32c.ts';
export * from './errors.ts';
export type { CheckBatchOptions } from './header.ts';
export {
  checkBatchCrc,
  checkRecordBatch,
  claimedBatchSize,
  RecordBatchView,
  splitRecordBatches,
} from './header.ts';
export {
  BatchField,
  batchHeaderBytes,
  CompressionType,
  compressionNames,
  noPartitionLeaderEpoch,
  noProducerEpoch,
  noProducerId,
  noSequence,
  recordBatchBytesMax,
  recordBatchMagic,
  recordsDecompressedBytesMax,
  TimestampType,
} from './layout.ts';
export type { BatchRecord, RecordHeader, RecordInput } from './record.ts';
export type { RecordDecodeOptions } from './record-cursor.ts';
export { decodeRecords, iterateRecords, RecordCursor, recordsSection } from './record-cursor.ts';
export { stampBaseOffset, stampPartitionLeaderEpoch } from './stamp.ts';
