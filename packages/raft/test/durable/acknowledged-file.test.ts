import test from 'ava';
import { decodeAcknowledged } from '../../src/durable/acknowledged-file.ts';
import { nodeWalFileSystem, type WalFileSystem } from '../../src/durable/file-system.ts';
import { RaftWal } from '../../src/durable/wal.ts';
import { makeEntries, temporaryDirectory } from './helpers.ts';

/** A file system that counts the bytes written to files whose path ends with `suffix`. */
function countingFileSystem(suffix: string): { fs: WalFileSystem; written: () => number } {
  let written = 0;
  const fs: WalFileSystem = {
    ...nodeWalFileSystem,
    async open(path, options) {
      const file = await nodeWalFileSystem.open(path, options);
      if (!path.endsWith(suffix)) return file;
      return {
        path: file.path,
        write: (data, position) => {
          written += data.byteLength;
          return file.write(data, position);
        },
        datasync: () => file.datasync(),
        truncate: (size) => file.truncate(size),
        readSync: (target, position) => file.readSync(target, position),
        size: () => file.size(),
        close: () => file.close(),
      };
    },
  };
  return { fs, written: () => written };
}

test('a flush touching two of a thousand groups writes a few slots, not the whole file', async (t) => {
  const dir = temporaryDirectory(t);
  const counting = countingFileSystem('acknowledged');
  const wal = await RaftWal.open({ dir, fileSystem: counting.fs });
  t.teardown(() => wal.close());
  for (let group = 0; group < 1000; group++)
    wal.group(group).stage({ entries: makeEntries(1, 1, 1, 8) });
  await wal.sync();
  const before = counting.written();
  wal.group(3).stage({ entries: makeEntries(2, 1, 1, 8) });
  wal.group(997).stage({ entries: makeEntries(2, 1, 1, 8) });
  await wal.sync();
  const flushBytes = counting.written() - before;
  // Three slots, and the unchanged bytes between slots that are closer than 4 KiB: far
  // from the 192 KB a whole-file rewrite would take.
  t.true(flushBytes < 10_000, `${flushBytes} bytes written for two groups and the node slot`);
  await wal.close();
  const { readFileSync } = await import('node:fs');
  const state = decodeAcknowledged(readFileSync(`${dir}/acknowledged`));
  t.is(state.groups.size, 1000);
  t.is(state.groups.get(3)?.ackIndex, 2);
  t.is(state.groups.get(997)?.ackIndex, 2);
  t.is(state.groups.get(500)?.ackIndex, 1);
  t.is(state.damagedPairs, 0);
});
