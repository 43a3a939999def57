// For tests, tools and benchmarks only: building blocks below the public API.

export { postgresDialect } from './connectors/postgres/pg-source.ts';
export {
  hasEnded,
  parseSnapshot,
  VisibilityFence,
} from './connectors/postgres/visibility-fence.ts';
export { IncrementalQuery } from './connectors/sql/incremental-query.ts';
export { sqliteDialect } from './connectors/sqlite/sqlite-source.ts';
export { ConfigLog } from './runtime/config-log.ts';
export {
  decodeOffset,
  emptyOffset,
  encodeOffset,
  OffsetStore,
  offsetKey,
} from './runtime/offset-store.ts';
export { readPartitionRange } from './runtime/partition-reader.ts';
export { sinkGroupId } from './runtime/sink-runner.ts';
export { SourceProgress } from './runtime/source-progress.ts';
export { earliestMarks, resumePoint } from './runtime/source-recovery.ts';
export { slotOf } from './runtime/task-slots.ts';
export { ensureTopic, partitionCount } from './runtime/topics.ts';
export {
  findPostgresBinaries,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from './testing/throwaway-postgres.ts';
