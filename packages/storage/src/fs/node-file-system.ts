/** The FileSystem over node's `fs`, with callback calls wrapped (cheaper than fs/promises). */
import * as fs from 'node:fs';
import type { FileHandle, FileSystem, OpenMode } from './file-system.ts';

const openFlags: Readonly<Record<OpenMode, string>> = {
  read: 'r',
  readWrite: 'r+',
  createNew: 'wx+',
  createOrReplace: 'w+',
};

/** Writes up to this size are made on the calling thread (see `write`). */
const inlineWriteBytesMax = 512 * 1024;

function call<T>(run: (done: (error: Error | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => (error ? reject(error) : resolve(value)));
  });
}

function callVoid(run: (done: (error: Error | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    run((error) => (error ? reject(error) : resolve()));
  });
}

class NodeFileHandle implements FileHandle {
  private readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  async size(): Promise<number> {
    const stats = await call<fs.Stats>((done) => fs.fstat(this.fd, done));
    return stats.size;
  }

  read(target: Uint8Array, position: number): Promise<number> {
    return call<number>((done) => fs.read(this.fd, target, 0, target.length, position, done));
  }

  /**
   * Writes of up to `inlineWriteBytesMax` are made on the calling thread, larger ones in
   * libuv's thread pool. A write of a few hundred KiB into the page cache costs the calling
   * thread about 10 µs done here, but about 50 µs of CPU through the pool on the VMs we
   * measured (submitting wakes a pool thread: three futex calls and a context switch, then
   * the completion wakes the loop again). Appends are page-cache writes (durability comes
   * from the Raft WAL and `flush`), and the writer's background writeback keeps the dirty
   * bytes few, so the kernel has no reason to make them wait; the size bound caps how long
   * one could hold the event loop if it did. Being async, a failed inline write still
   * arrives as a rejected promise, never a throw.
   */
  async write(buffers: readonly Uint8Array[], position: number): Promise<void> {
    let pending = buffers.filter((buffer) => buffer.length > 0);
    let bytes = 0;
    for (const buffer of pending) bytes += buffer.length;
    const inline = bytes <= inlineWriteBytesMax;
    let at = position;
    while (pending.length > 0) {
      const views = pending as NodeJS.ArrayBufferView[];
      const written = inline
        ? fs.writevSync(this.fd, views, at)
        : await call<number>((done) => fs.writev(this.fd, views, at, done));
      at += written;
      pending = dropWritten(pending, written);
    }
  }

  truncate(sizeBytes: number): Promise<void> {
    return callVoid((done) => fs.ftruncate(this.fd, sizeBytes, done));
  }

  datasync(): Promise<void> {
    return callVoid((done) => fs.fdatasync(this.fd, done));
  }

  close(): Promise<void> {
    return callVoid((done) => fs.close(this.fd, done));
  }
}

/** What remains of `buffers` after the first `written` bytes went out (short writes). */
function dropWritten(buffers: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  const rest: Uint8Array[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
    } else {
      rest.push(skip === 0 ? buffer : buffer.subarray(skip));
      skip = 0;
    }
  }
  return rest;
}

export const nodeFileSystem: FileSystem = {
  async makeDirectory(path) {
    await call<string | undefined>((done) => fs.mkdir(path, { recursive: true }, done));
  },
  list(directory) {
    return call<string[]>((done) => fs.readdir(directory, done));
  },
  async open(path, mode) {
    const fd = await call<number>((done) => fs.open(path, openFlags[mode], 0o644, done));
    return new NodeFileHandle(fd);
  },
  rename(from, to) {
    return callVoid((done) => fs.rename(from, to, done));
  },
  unlink(path) {
    return callVoid((done) => fs.unlink(path, done));
  },
  async syncDirectory(directory) {
    const fd = await call<number>((done) => fs.open(directory, 'r', done));
    try {
      await callVoid((done) => fs.fsync(fd, done));
    } finally {
      await callVoid((done) => fs.close(fd, done));
    }
  },
};
