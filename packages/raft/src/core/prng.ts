/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32) implementing
 * the core's Prng. Deterministic: the same seed always yields the same sequence, which is
 * what lets the simulator replay a run. Hosts seed it from real entropy.
 */
import type { Prng } from './types.ts';

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class SeededPrng implements Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const mix = splitmix32(Math.floor(seed) ^ Math.floor(seed / 2 ** 32));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 2 ** 32;
  }

  nextInt(maxExclusive: number): number {
    if (!(maxExclusive >= 1))
      throw new RangeError(`prng: maxExclusive must be >= 1, got ${maxExclusive}`);
    return Math.floor(this.nextFloat() * maxExclusive);
  }

  /** True with probability `percent` / 100. */
  chance(percent: number): boolean {
    return this.nextFloat() * 100 < percent;
  }
}
