/**
 * The compactor's map from key to the offset of its latest record, bounded: it holds at
 * most `keysMax` keys in an open-addressing table of two slots per key (16 bytes of hash and
 * 8 of offset each, so 48 bytes per key of capacity). The table starts small and doubles as
 * keys arrive: a pass runs every retention interval on every compacted replica, most of
 * them with few new keys, and a table allocated for `keysMax` up front (12 MiB for the
 * broker's default) made each of them page in and fill memory it never used. Keys are
 * stored as 128-bit hashes (two xxhash64 with different seeds), as Kafka's cleaner stores
 * MD5 digests: a false match needs a 128-bit collision.
 */
import { xxhash64 } from '@tributary/protocol';
import { assert } from '../assert.ts';

const secondSeed = 0x9e3779b97f4a7c15n;
const emptySlot = -1;
const low32 = 0xffff_ffffn;
/** Keys a new map has room for before its first growth. */
const initialKeysDefault = 1024;

function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

export class KeyMap {
  readonly keysMax: number;
  private mask = 0;
  private hashes = new Uint32Array(0);
  private offsets = new Float64Array(0);
  size = 0;

  constructor(keysMax: number, initialKeys = Math.min(keysMax, initialKeysDefault)) {
    if (!(Number.isSafeInteger(keysMax) && keysMax >= 1)) assert(false, `bad keysMax ${keysMax}`);
    if (!(Number.isSafeInteger(initialKeys) && initialKeys >= 1 && initialKeys <= keysMax)) {
      assert(false, `bad initialKeys ${initialKeys} for keysMax ${keysMax}`);
    }
    this.keysMax = keysMax;
    this.allocate(nextPowerOfTwo(initialKeys * 2));
  }

  /** Keys the current table holds before it must grow: half its slots, at most keysMax. */
  private get capacity(): number {
    return Math.min(this.keysMax, (this.mask + 1) / 2);
  }

  private allocate(slots: number): void {
    this.mask = slots - 1;
    this.hashes = new Uint32Array(slots * 4);
    this.offsets = new Float64Array(slots).fill(emptySlot);
  }

  /** Doubles the table and places every key again; slots of the old table are meaningless. */
  private grow(): void {
    const { hashes, offsets } = this;
    this.allocate(offsets.length * 2);
    for (let old = 0; old < offsets.length; old++) {
      if (offsets[old] === emptySlot) continue;
      let slot = hashes[old * 4]! & this.mask;
      while (this.offsets[slot] !== emptySlot) slot = (slot + 1) & this.mask;
      for (let word = 0; word < 4; word++) this.hashes[slot * 4 + word] = hashes[old * 4 + word]!;
      this.offsets[slot] = offsets[old]!;
    }
  }

  get memoryBytes(): number {
    return this.hashes.byteLength + this.offsets.byteLength;
  }

  get isFull(): boolean {
    return this.size >= this.keysMax;
  }

  /** Finds the key's slot, or the empty slot where it would go. */
  private slotOf(key: Uint8Array): { slot: number; h: readonly number[] } {
    const first = xxhash64(key);
    const second = xxhash64(key, secondSeed);
    const h = [
      Number(first & low32),
      Number(first >> 32n),
      Number(second & low32),
      Number(second >> 32n),
    ];
    let slot = h[0]! & this.mask;
    for (;;) {
      if (this.offsets[slot] === emptySlot) return { slot, h };
      const at = slot * 4;
      const hashes = this.hashes;
      if (
        hashes[at] === h[0] &&
        hashes[at + 1] === h[1] &&
        hashes[at + 2] === h[2] &&
        hashes[at + 3] === h[3]
      ) {
        return { slot, h };
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Offset of the key's latest record, or -1. */
  get(key: Uint8Array): number {
    return this.offsets[this.slotOf(key).slot]!;
  }

  /** Records `offset` as the key's latest. Returns false (and changes nothing) when full. */
  put(key: Uint8Array, offset: number): boolean {
    let { slot, h } = this.slotOf(key);
    const previous = this.offsets[slot]!;
    if (previous === emptySlot) {
      if (this.isFull) return false;
      if (this.size >= this.capacity) {
        this.grow();
        slot = this.slotOf(key).slot;
      }
      this.hashes.set(h, slot * 4);
      this.size += 1;
    } else {
      if (!(offset > previous))
        assert(false, `key map offsets go forward (${previous} then ${offset})`);
    }
    this.offsets[slot] = offset;
    return true;
  }
}
