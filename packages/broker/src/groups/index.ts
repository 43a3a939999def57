/** The group coordinator: pure, deterministic, persistence injected (see coordinator.ts). */
export type { ClientContext, GroupCoordinatorOptions } from './coordinator.ts';
export { GroupCoordinator } from './coordinator.ts';
export type { GroupState } from './group.ts';
export type { LoadSummary } from './group-loader.ts';
export type { OffsetLog, OffsetLogRecord } from './offset-log.ts';
export { offsetsPartitionFor } from './offset-log.ts';
export * as offsetRecords from './offset-records.ts';
