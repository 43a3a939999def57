/**
 * Seeded damage to the WAL of a stopped node, as a failing disk or a careless operator
 * would leave it: the last segment cut at a random point, random bits flipped, or both.
 * Only WAL segments are touched, never the acknowledged-state file (damaging both at once
 * is a double fault the design does not claim to detect). Every choice comes from the
 * seed, so a failing run can be replayed.
 */
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededPrng } from '../src/core/prng.ts';
import { assert } from '../src/durable/assert.ts';

export type DamageKind = 'truncate' | 'flip-bits' | 'truncate-and-flip-bits';

export interface WalDamage {
  readonly seed: number;
  readonly kind: DamageKind;
  readonly segment: string;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Bit positions flipped (byte * 8 + bit). */
  readonly flippedBits: readonly number[];
}

const kinds: readonly DamageKind[] = ['truncate', 'flip-bits', 'truncate-and-flip-bits'];
/** A cut keeps at least this fraction of the segment (so it cuts into recent records). */
const cutFractionMin = 0.25;
const flippedBitsMax = 4;

/** Damages the newest segment under `<raftDir>/wal`; returns what was done. */
export async function damageWal(raftDir: string, seed: number): Promise<WalDamage> {
  const prng = new SeededPrng(seed);
  const walDir = join(raftDir, 'wal');
  const segments = (await readdir(walDir)).filter((name) => name.endsWith('.wal')).sort();
  const segment = segments.at(-1);
  if (segment === undefined) assert(false, `no WAL segment in ${walDir}`);
  const path = join(walDir, segment);
  const bytesBefore = (await stat(path)).size;
  const kind = kinds[prng.nextInt(kinds.length)] as DamageKind;
  let bytesAfter = bytesBefore;
  if (kind !== 'flip-bits') {
    const keep = cutFractionMin + prng.nextFloat() * (1 - cutFractionMin);
    bytesAfter = Math.floor(bytesBefore * keep);
    await truncate(path, bytesAfter);
  }
  const flippedBits: number[] = [];
  if (kind !== 'truncate' && bytesAfter > 0) {
    const bytes = await readFile(path);
    const count = 1 + prng.nextInt(flippedBitsMax);
    for (let i = 0; i < count; i++) {
      const bit = prng.nextInt(bytesAfter * 8);
      const at = Math.floor(bit / 8);
      bytes[at] = (bytes[at] as number) ^ (1 << (bit % 8));
      flippedBits.push(bit);
    }
    await writeFile(path, bytes);
  }
  return { seed, kind, segment, bytesBefore, bytesAfter, flippedBits };
}
