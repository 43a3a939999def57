// The partition log on disk: segments of record batches, indexes, recovery, retention,
// compaction. See packages/storage/README.md and docs/storage.md.
export type { Clock } from './clock.ts';
export { ManualClock, systemClock } from './clock.ts';
export type { CompactionResult } from './compaction/compactor.ts';
export type { CleanupPolicy, LogConfig } from './config.ts';
export { defaultLogConfig, resolveLogConfig } from './config.ts';
export {
  BatchTooLargeError,
  CorruptLogError,
  InvalidBatchError,
  InvalidConfigError,
  InvalidTruncationError,
  LogClosedError,
  LogFencedError,
  OffsetOutOfRangeError,
  StorageError,
  StorageIoError,
} from './errors.ts';
export type { FileHandle, FileSystem, OpenMode } from './fs/file-system.ts';
export { nodeFileSystem } from './fs/node-file-system.ts';
export type {
  AppendOptions,
  AppendResult,
  PartitionLogOptions,
  ReadResult,
  RetentionResult,
  SegmentInfo,
} from './partition-log.ts';
export { PartitionLog } from './partition-log.ts';
export { ReadBufferPool } from './read-buffer-pool.ts';
export type { TimestampHit } from './read-path.ts';
export type { RecoveryReport } from './recovery.ts';
