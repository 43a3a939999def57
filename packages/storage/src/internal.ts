// For tests and sibling packages (the simulator): the crash-simulating file system and the
// on-disk formats.
export { KeyMap } from './compaction/key-map.ts';
export * from './format/checkpoint-file.ts';
export * from './format/index-file.ts';
export * from './format/segment-files.ts';
export type { CrashOptions, SimFileSystemOptions } from './fs/sim-file-system.ts';
export { SimFileSystem, SimFileSystemError, SimulatedCrashError } from './fs/sim-file-system.ts';
export { segmentsToDelete } from './retention.ts';
