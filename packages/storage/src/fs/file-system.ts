/**
 * The file system the log is handed: just the calls it makes, all asynchronous, so that
 * tests and the simulator can run the same log over an in-memory disk that loses unsynced
 * writes on a simulated crash (`SimFileSystem`), and production runs it over node's fs.
 *
 * Durability contract (what the log relies on, and what the simulator enforces):
 * - file contents are durable up to the last `datasync()` of a handle on that file;
 * - creating, renaming and unlinking names is durable after `syncDirectory()`; until then a
 *   crash keeps some prefix of those operations, in order.
 */

export type OpenMode =
  /** An existing file, for reading only. */
  | 'read'
  /** An existing file, for reading and writing. */
  | 'readWrite'
  /** A new file; fails if the name exists. */
  | 'createNew'
  /** A new empty file, replacing any file of that name. */
  | 'createOrReplace';

export interface FileHandle {
  size(): Promise<number>;
  /** Reads up to `target.length` bytes at `position`; returns how many were read. */
  read(target: Uint8Array, position: number): Promise<number>;
  /** Writes all of `buffers`, back to back, starting at `position`. */
  write(buffers: readonly Uint8Array[], position: number): Promise<void>;
  truncate(sizeBytes: number): Promise<void>;
  /** Returns when the file's contents (not necessarily its name) are durable. */
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Creates the directory and its parents if missing. */
  makeDirectory(path: string): Promise<void>;
  /** Names in the directory (files only, unordered). */
  list(directory: string): Promise<string[]>;
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creates, renames, unlinks) durable. */
  syncDirectory(directory: string): Promise<void>;
}

export function joinPath(directory: string, name: string): string {
  return directory.endsWith('/') ? `${directory}${name}` : `${directory}/${name}`;
}
