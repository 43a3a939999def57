/**
 * Disk faults applied to the files of a stopped node: a torn file (truncated at a random
 * point), flipped bits, and the loss of everything written since a recorded point, which is
 * what a power loss does to data that was never fsynced (approximated: we cannot know what
 * the node fsynced, so we roll every file back to its size at the recorded point).
 */
import {
  closeSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { assert } from '../assert.ts';
import type { Prng } from '../prng.ts';

/**
 * Regular files under `dataDir`, sorted so a seed picks the same file every time. The
 * node's `damaged/` folder is left out: it holds replica data the node set aside and never
 * reads again, so a fault there tests nothing (seed 20261169 spent a bit flip on it).
 */
export function listDataFiles(dataDir: string): string[] {
  const files: string[] = [];
  const setAside = join(resolve(dataDir), 'damaged');
  const walk = (dir: string): void => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a folder removed while we walk is simply not there
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== setAside) walk(path);
      } else if (entry.isFile()) files.push(path);
    }
  };
  walk(resolve(dataDir));
  return files;
}

function assertInside(dataDir: string, file: string): void {
  const rel = relative(resolve(dataDir), resolve(file));
  if (!(rel !== '' && !rel.startsWith('..')))
    assert(false, `disk fault outside the data folder: ${file}`);
}

/** A random non-empty file of the node, or undefined when it has none. */
export function pickDataFile(dataDir: string, prng: Prng): string | undefined {
  const files = listDataFiles(dataDir).filter((f) => statSync(f, { throwIfNoEntry: false })?.size);
  return files.length === 0 ? undefined : prng.pick(files);
}

export interface TruncateEffect {
  readonly file: string;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
}

export function truncateAtRandom(dataDir: string, file: string, prng: Prng): TruncateEffect {
  assertInside(dataDir, file);
  const sizeBefore = statSync(file).size;
  if (!(sizeBefore > 0)) assert(false, `cannot truncate the empty file ${file}`);
  const sizeAfter = prng.intBetween(0, sizeBefore - 1);
  truncateSync(file, sizeAfter);
  return { file, sizeBefore, sizeAfter };
}

export interface BitFlipEffect {
  readonly file: string;
  readonly flips: readonly { readonly byte: number; readonly bit: number }[];
}

export function flipRandomBits(
  dataDir: string,
  file: string,
  prng: Prng,
  bitsMax = 8,
): BitFlipEffect {
  assertInside(dataDir, file);
  const size = statSync(file).size;
  if (!(size > 0)) assert(false, `cannot flip bits of the empty file ${file}`);
  const flips = Array.from({ length: prng.intBetween(1, bitsMax) }, () => ({
    byte: prng.intBetween(0, size - 1),
    bit: prng.intBetween(0, 7),
  }));
  const fd = openSync(file, 'r+');
  try {
    const one = Buffer.alloc(1);
    for (const { byte, bit } of flips) {
      readSync(fd, one, 0, 1, byte);
      one[0] = one[0]! ^ (1 << bit);
      writeSync(fd, one, 0, 1, byte);
    }
  } finally {
    closeSync(fd);
  }
  return { file, flips };
}

/**
 * The "last sync" point: every file's size now. The node is running, so a file listed a
 * moment ago may be gone (a temporary file renamed into place): it is simply not recorded.
 */
export function recordSizes(dataDir: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const file of listDataFiles(dataDir)) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat !== undefined) sizes.set(file, stat.size);
  }
  return sizes;
}

export interface UnsyncedLossEffect {
  readonly truncated: readonly {
    readonly file: string;
    readonly from: number;
    readonly to: number;
  }[];
  /** Files that did not exist at the recorded point: removed (directory entry never synced) or emptied. */
  readonly removed: readonly string[];
  readonly emptied: readonly string[];
}

/** Rolls every file back to its recorded size; files created since are removed or emptied. */
export function dropUnsyncedTail(
  dataDir: string,
  recorded: ReadonlyMap<string, number>,
  prng: Prng,
): UnsyncedLossEffect {
  const truncated: { file: string; from: number; to: number }[] = [];
  const removed: string[] = [];
  const emptied: string[] = [];
  for (const file of listDataFiles(dataDir)) {
    assertInside(dataDir, file);
    const size = statSync(file).size;
    const recordedSize = recorded.get(file);
    if (recordedSize === undefined) {
      if (prng.chance(0.5)) {
        rmSync(file);
        removed.push(file);
      } else {
        truncateSync(file, 0);
        emptied.push(file);
      }
    } else if (size > recordedSize) {
      truncateSync(file, recordedSize);
      truncated.push({ file, from: size, to: recordedSize });
    }
  }
  return { truncated, removed, emptied };
}
