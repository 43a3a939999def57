/**
 * The file-system operations the durable log needs, as an interface, so that tests can
 * wrap the real one to model crashes (which bytes were fsynced, which directory entries
 * were made durable) without mocking Node.
 *
 * Writes, fsyncs and directory changes are asynchronous (they run on libuv's thread pool
 * and must not block the event loop); reads of entries that fell out of the in-memory
 * cache are synchronous, because the Raft core reads its log synchronously.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

export interface WalFile {
  readonly path: string;
  /** Writes every byte of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** fdatasync: the data written so far (and the size) survive a crash once this resolves. */
  datasync(): Promise<void>;
  /**
   * `write` then `datasync` in one operation (the real file system: one pwrite on an
   * O_DSYNC descriptor). Optional: callers fall back to the two calls. One completion
   * instead of two matters on a starved process, where each completion waits for the
   * event loop.
   */
  writeDurable?(data: Uint8Array, position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  /** Reads up to `target.byteLength` bytes at `position`; returns how many were read. */
  readSync(target: Uint8Array, position: number): number;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface WalFileSystem {
  /** Creates the directory and its parents if missing. */
  makeDirectory(path: string): Promise<void>;
  /** Names (not paths) of the entries of `path`; [] if it does not exist. */
  list(path: string): Promise<string[]>;
  /** fsync of a directory: creations, renames and removals in it become durable. */
  syncDirectory(path: string): Promise<void>;
  /** Opens for reading and writing, creating an empty file if `create` and it is missing. */
  open(path: string, options: { create: boolean }): Promise<WalFile>;
  /** Whole-file read, or undefined if it does not exist. */
  readFileSync(path: string): Uint8Array | undefined;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

const openAsync = promisify(fs.open);
const writeAsync = promisify(fs.write);
const fdatasyncAsync = promisify(fs.fdatasync);
const fsyncAsync = promisify(fs.fsync);
const ftruncateAsync = promisify(fs.ftruncate);
const fstatAsync = promisify(fs.fstat);
const closeAsync = promisify(fs.close);

class NodeWalFile implements WalFile {
  /** A second descriptor of the file opened with O_DSYNC, for `writeDurable` (lazily). */
  private durableFd: Promise<number> | undefined;

  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  write(data: Uint8Array, position: number): Promise<void> {
    return writeFully(this.fd, data, position);
  }

  /**
   * With O_DSYNC, each pwrite returns once its data and the metadata needed to read them
   * back (the size) are on stable storage: what write + fdatasync guarantee, in one call.
   */
  async writeDurable(data: Uint8Array, position: number): Promise<void> {
    this.durableFd ??= openAsync(this.path, fs.constants.O_RDWR | fs.constants.O_DSYNC);
    await writeFully(await this.durableFd, data, position);
  }

  datasync(): Promise<void> {
    return fdatasyncAsync(this.fd);
  }

  truncate(size: number): Promise<void> {
    return ftruncateAsync(this.fd, size);
  }

  readSync(target: Uint8Array, position: number): number {
    let read = 0;
    while (read < target.byteLength) {
      const n = fs.readSync(this.fd, target, read, target.byteLength - read, position + read);
      if (n === 0) break;
      read += n;
    }
    return read;
  }

  async size(): Promise<number> {
    return (await fstatAsync(this.fd)).size;
  }

  async close(): Promise<void> {
    const durableFd = this.durableFd;
    this.durableFd = undefined;
    if (durableFd !== undefined) await closeAsync(await durableFd);
    await closeAsync(this.fd);
  }
}

async function writeFully(fd: number, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.byteLength) {
    const { bytesWritten } = await writeAsync(
      fd,
      data,
      written,
      data.byteLength - written,
      position + written,
    );
    written += bytesWritten;
  }
}

/** Writes `data` at `position` and makes it durable, in one operation where the file can. */
export async function writeDurably(file: WalFile, data: Uint8Array, position: number) {
  if (file.writeDurable !== undefined) return file.writeDurable(data, position);
  await file.write(data, position);
  await file.datasync();
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** The real file system. */
export const nodeWalFileSystem: WalFileSystem = {
  async makeDirectory(path) {
    await fs.promises.mkdir(path, { recursive: true });
  },
  async list(path) {
    try {
      return await fs.promises.readdir(path);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  },
  async syncDirectory(path) {
    const fd = await openAsync(path, 'r');
    try {
      await fsyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  },
  async open(path, options) {
    // 'r+' fails when missing; 'a+' would force appends and ignore positions.
    if (options.create) {
      try {
        const created = await openAsync(path, 'wx+');
        return new NodeWalFile(path, created);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    return new NodeWalFile(path, await openAsync(path, 'r+'));
  },
  readFileSync(path) {
    try {
      return fs.readFileSync(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  rename: (from, to) => fs.promises.rename(from, to),
  async remove(path) {
    await fs.promises.rm(path, { force: true });
  },
};

/** The directory holding `path`, for the fsync that makes its creation durable. */
export function parentDirectory(path: string): string {
  return dirname(path);
}
