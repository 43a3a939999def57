/**
 * The real file system's writes: small ones are made on the calling thread, large ones in
 * the thread pool; both must write every byte at its position and report failure as a
 * rejected promise, never a throw from `write` itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { nodeFileSystem } from '../src/index.ts';

function scratch(t: { teardown(fn: () => void): void }): string {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-nodefs-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

const pattern = (bytes: number, seed: number) =>
  Uint8Array.from({ length: bytes }, (_, i) => (i * 31 + seed) & 0xff);

for (const [name, pieceBytes] of [
  ['small (inline)', 4096],
  ['large (thread pool)', 400 * 1024],
] as const) {
  test(`${name} writes land at their positions, in pieces as given`, async (t) => {
    const path = join(scratch(t), 'data');
    const handle = await nodeFileSystem.open(path, 'createNew');
    const first = pattern(pieceBytes, 1);
    const second = pattern(pieceBytes, 2);
    await handle.write([first, new Uint8Array(0), second], 0);
    await handle.write([pattern(10, 3)], 2 * pieceBytes);
    await handle.close();
    const onDisk = readFileSync(path);
    t.is(onDisk.length, 2 * pieceBytes + 10);
    t.deepEqual(new Uint8Array(onDisk.subarray(0, pieceBytes)), first);
    t.deepEqual(new Uint8Array(onDisk.subarray(pieceBytes, 2 * pieceBytes)), second);
    t.deepEqual(new Uint8Array(onDisk.subarray(2 * pieceBytes)), pattern(10, 3));
  });

  test(`${name} write to a read-only file rejects and does not throw`, async (t) => {
    const path = join(scratch(t), 'data');
    await (await nodeFileSystem.open(path, 'createNew')).close();
    const handle = await nodeFileSystem.open(path, 'read');
    let pending: Promise<void> | undefined;
    t.notThrows(() => {
      pending = handle.write([pattern(pieceBytes, 4)], 0);
    });
    const error = await t.throwsAsync(pending as Promise<void>);
    t.is((error as NodeJS.ErrnoException).code, 'EBADF');
    await handle.close();
    t.is(readFileSync(path).length, 0);
  });
}
