/** Shared helpers for the durable-log tests: temp directories and entry builders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Entry } from '../../src/core/types.ts';

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
