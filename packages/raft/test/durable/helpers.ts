/** Shared helpers for the durable-log tests: temp directories and entry builders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Entry } from '../../src/core/types.ts';
import type { WalFile, WalFileSystem } from '../../src/durable/file-system.ts';

export function temporaryDirectory(t: ExecutionContext, prefix = 'raft-wal-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function makeEntries(
  first: number,
  count: number,
  term: number,
  size = 16,
  tag = 0,
): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const index = first + i;
    const data = new Uint8Array(size);
    for (let b = 0; b < size; b++) data[b] = (index * 31 + term * 7 + tag + b) & 0xff;
    entries.push({ index, term, type: 0, data });
  }
  return entries;
}

export function plain(entries: readonly Entry[]) {
  return entries.map((e) => ({
    index: e.index,
    term: e.term,
    type: e.type,
    data: Buffer.from(e.data).toString('hex'),
  }));
}

/** A WalFile that forwards every call to `file`, except those `overrides` replace. */
export function forwardingFile(file: WalFile, overrides: Partial<WalFile>): WalFile {
  return {
    path: file.path,
    write: (data, position) => file.write(data, position),
    datasync: () => file.datasync(),
    truncate: (size) => file.truncate(size),
    readSync: (target, position) => file.readSync(target, position),
    size: () => file.size(),
    close: () => file.close(),
    ...overrides,
  };
}

/** A WalFileSystem that forwards every call to `base`, its files wrapped by `wrap`. */
export function forwardingFileSystem(
  base: WalFileSystem,
  wrap: (path: string, file: WalFile) => WalFile,
): WalFileSystem {
  return {
    makeDirectory: (path) => base.makeDirectory(path),
    list: (path) => base.list(path),
    syncDirectory: (path) => base.syncDirectory(path),
    open: async (path, options) => wrap(path, await base.open(path, options)),
    readFileSync: (path) => base.readFileSync(path),
    rename: (from, to) => base.rename(from, to),
    remove: (path) => base.remove(path),
  };
}
