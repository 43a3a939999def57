import test from 'ava';
import { SimFileSystem, SimulatedCrashError } from '../src/internal.ts';
import { seededRandom } from './helpers.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);

async function setUp(seed = 1) {
  const fs = new SimFileSystem({ random: seededRandom(seed) });
  await fs.makeDirectory('/d');
  return fs;
}

test('synced contents and names survive a crash; unsynced appends are cut within bounds', async (t) => {
  for (let seed = 1; seed <= 50; seed++) {
    const fs = await setUp(seed);
    const file = await fs.open('/d/a', 'createNew');
    await file.write([bytes(1, 2, 3)], 0);
    await file.datasync();
    await fs.syncDirectory('/d');
    await file.write([bytes(4, 5, 6)], 3);
    fs.crash();
    const after = fs.fileBytes('/d/a');
    t.true(after.length >= 3 && after.length <= 6);
    t.deepEqual(after, bytes(1, 2, 3, 4, 5, 6).subarray(0, after.length));
  }
});

test('names created, renamed or unlinked since the last directory sync survive as a prefix', async (t) => {
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 60; seed++) {
    const fs = await setUp(seed);
    await (await fs.open('/d/x', 'createNew')).close();
    await fs.syncDirectory('/d');
    await (await fs.open('/d/y', 'createNew')).close();
    await fs.rename('/d/x', '/d/z');
    await fs.unlink('/d/y');
    fs.crash();
    const names = (await fs.list('/d')).sort().join(',');
    outcomes.add(names);
    t.true(['x', 'x,y', 'y,z', 'z'].includes(names), names);
  }
  t.is(outcomes.size, 4, 'every prefix shows up');
});

test('a torn in-place rewrite mixes new bytes before old ones and keeps the length', async (t) => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 60; seed++) {
    const fs = await setUp(seed);
    const file = await fs.open('/d/a', 'createNew');
    await file.write([bytes(0, 0, 0, 0)], 0);
    await file.datasync();
    await fs.syncDirectory('/d');
    await file.write([bytes(9, 9)], 1);
    fs.crash();
    const after = Array.from(fs.fileBytes('/d/a')).join('');
    seen.add(after);
    t.true(['0000', '0900', '0990'].includes(after), after);
  }
  t.is(seen.size, 3);
});

test('handles from before a crash fail; an armed crash stops the chosen call', async (t) => {
  const fs = await setUp();
  const file = await fs.open('/d/a', 'createNew');
  fs.crash();
  await t.throwsAsync(file.read(new Uint8Array(1), 0), { instanceOf: SimulatedCrashError });
  t.true((await fs.list('/d')).every((name) => name === 'a'));
  const again = await fs.open('/d/b', 'createNew');
  fs.armCrash(2);
  await again.write([bytes(1)], 0);
  await t.throwsAsync(again.datasync(), { instanceOf: SimulatedCrashError });
  t.false(fs.crashArmed);
});
