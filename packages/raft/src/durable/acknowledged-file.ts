/**
 * The acknowledged-state file: redundant state kept apart from the WAL so that recovery
 * can tell when the WAL lost something this node had already acknowledged (a truncated
 * or bit-flipped segment, an old copy restored) and when the hard state (term, vote) went
 * back in time. See docs/raft-runtime.md, "Protocol-aware recovery".
 *
 * After every flush whose WAL part is durable, and before any caller of `sync()` is told
 * so (and so before any vote or append acknowledgement leaves the node), the file records
 * for each group changed by that flush: the last (index, term) of its durable log, its
 * durable hard state (term, vote), and its voting fence. It also records where the WAL's
 * durable bytes end and which segment is the oldest still needed.
 *
 * Layout: an array of 192-byte slot pairs, pair 0 for the node, then one pair per group.
 * A write updates the older slot of a pair in place (no rename, no directory fsync: one
 * pwrite and one fdatasync per flush); the newer valid slot of each pair wins on reading.
 * So a torn write can lose at most the update being written, whose acknowledgements have
 * not been released yet. We assume a sector (512 bytes) is written wholly or not at all;
 * both slots of a pair are checksummed, so a damaged slot is detected and ignored.
 *
 *   slot     := checksum:u64 magic:u16 version:u8 kind:u8 reserved:u32 sequence:u64
 *               field:u64{6} reserved:u8{24}                                  (96 bytes)
 *   checksum  = xxhash64(slot bytes 8..96)        magic := 0x4154 ("TA")  version := 1
 *   kind 1 node:          syncedSegment syncedPosition oldestSegment pairCount 0 0
 *   kind 2 group:         group ackIndex ackTerm term vote votingDisabledUntilIndex
 *   kind 3 group removed: group 0 0 0 0 0
 *   sequence: increases with every slot written by this node
 */
import type { GroupId } from '../core/types.ts';
import { assert } from './assert.ts';
import { readSafeU64, writeSafeU64 } from './byte-buffer.ts';
import { checksum64 } from './checksum.ts';
import { parentDirectory, type WalFile, type WalFileSystem, writeDurably } from './file-system.ts';

const slotBytes = 96;
const pairBytes = 2 * slotBytes;
const slotMagic = 0x4154;
const slotVersion = 1;
const SlotKind = { Empty: 0, Node: 1, Group: 2, GroupRemoved: 3 } as const;
const fieldsOffset = 24;
/** Dirty slots closer than this are written together. */
const coalesceGapBytes = 4096;

export interface AcknowledgedGroup {
  /** Last index of the group's durable log when last recorded, and its term. */
  readonly ackIndex: number;
  readonly ackTerm: number;
  /** The durable hard state's term and vote. */
  readonly term: number;
  readonly vote: number;
  /** Voting stays disabled until the log reaches this index (0: not fenced). */
  readonly votingDisabledUntilIndex: number;
}

export interface AcknowledgedNode {
  /** Segment and byte position where the WAL's fsynced bytes ended. */
  readonly syncedSegment: number;
  readonly syncedPosition: number;
  /** Segments below this one were deleted on purpose; copies found later are stale. */
  readonly oldestSegment: number;
}

export interface AcknowledgedState {
  readonly exists: boolean;
  readonly node: AcknowledgedNode;
  readonly groups: Map<GroupId, AcknowledgedGroup>;
  /** Slot pairs whose both slots failed their checksum: some group's record is lost. */
  readonly damagedPairs: number;
  /** Groups whose latest record is their removal. */
  readonly removedGroups: Set<GroupId>;
}

interface DecodedSlot {
  readonly kind: number;
  readonly sequence: number;
  readonly fields: number[];
}

function decodeSlot(bytes: Buffer, offset: number): DecodedSlot | undefined {
  const slot = bytes.subarray(offset, offset + slotBytes);
  if (slot.byteLength < slotBytes) return undefined;
  if (checksum64(slot.subarray(8)) !== slot.readBigUInt64LE(0)) return undefined;
  if (slot.readUInt16LE(8) !== slotMagic || slot[10] !== slotVersion) return undefined;
  const sequence = readSafeU64(slot, 16);
  const fields: number[] = [];
  for (let i = 0; i < 6; i++) {
    const value = readSafeU64(slot, fieldsOffset + i * 8);
    if (value === undefined) return undefined;
    fields.push(value);
  }
  if (sequence === undefined) return undefined;
  return { kind: slot[11] as number, sequence, fields };
}

function isAllZero(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

const noNode: AcknowledgedNode = { syncedSegment: 0, syncedPosition: 0, oldestSegment: 0 };

/** Parses the file's bytes into the newest valid state of every pair. */
export function decodeAcknowledged(bytes: Buffer | undefined): AcknowledgedState & {
  readonly sequence: number;
} {
  const groups = new Map<GroupId, AcknowledgedGroup & { sequence: number }>();
  const removed = new Map<GroupId, number>();
  let node = noNode;
  let nodeSequence = -1;
  let sequence = 0;
  let damagedPairs = 0;
  let recordedPairs = 0;
  const pairs = bytes === undefined ? 0 : Math.ceil(bytes.byteLength / pairBytes);
  for (let pair = 0; pair < pairs; pair++) {
    const at = pair * pairBytes;
    const a = decodeSlot(bytes as Buffer, at);
    const b = decodeSlot(bytes as Buffer, at + slotBytes);
    const newest = a === undefined ? b : b === undefined || a.sequence > b.sequence ? a : b;
    if (newest === undefined) {
      if (!isAllZero((bytes as Buffer).subarray(at, at + pairBytes))) damagedPairs += 1;
      continue;
    }
    sequence = Math.max(sequence, a?.sequence ?? 0, b?.sequence ?? 0);
    const [f0, f1, f2, f3, f4, f5] = newest.fields as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (newest.kind === SlotKind.Node && newest.sequence > nodeSequence) {
      node = { syncedSegment: f0, syncedPosition: f1, oldestSegment: f2 };
      nodeSequence = newest.sequence;
      recordedPairs = f3;
    } else if (newest.kind === SlotKind.Group) {
      const known = groups.get(f0);
      if (known === undefined || known.sequence < newest.sequence) {
        const state = {
          ackIndex: f1,
          ackTerm: f2,
          term: f3,
          vote: f4,
          votingDisabledUntilIndex: f5,
        };
        groups.set(f0, { ...state, sequence: newest.sequence });
      }
    } else if (newest.kind === SlotKind.GroupRemoved) {
      removed.set(f0, Math.max(removed.get(f0) ?? 0, newest.sequence));
    }
  }
  // A file cut short, or without a readable node slot, has lost pairs we cannot name.
  if (bytes !== undefined && nodeSequence < 0) damagedPairs += 1;
  if (recordedPairs > pairs) damagedPairs += recordedPairs - pairs;
  const removedGroups = new Set<GroupId>();
  for (const [group, removedAt] of removed) {
    if ((groups.get(group)?.sequence ?? -1) < removedAt) {
      groups.delete(group);
      removedGroups.add(group);
    }
  }
  return { exists: bytes !== undefined, node, groups, damagedPairs, removedGroups, sequence };
}

/** The file, kept as an in-memory image; `flush()` writes what changed since the last one. */
export class AcknowledgedFile {
  private image: Buffer;
  private pairCount = 1;
  private readonly pairOf = new Map<GroupId, number>();
  /** For each pair, which slot (0 or 1) holds its newest state. */
  private newestSlot: number[] = [1];
  private sequence: number;
  /** Offsets of the slots written since the last flush. */
  private dirtySlots = new Set<number>();

  private constructor(
    private readonly file: WalFile,
    sequence: number,
  ) {
    this.sequence = sequence;
    this.image = Buffer.alloc(pairBytes * 64);
  }

  /**
   * Writes `state` as a fresh, compact file (temp file, fdatasync, rename, directory
   * fsync) and opens it for in-place updates. Used once per open, after recovery.
   */
  static async create(
    fs: WalFileSystem,
    path: string,
    state: { node: AcknowledgedNode; groups: Map<GroupId, AcknowledgedGroup>; sequence: number },
  ): Promise<AcknowledgedFile> {
    const temporaryPath = `${path}.tmp`;
    await fs.remove(temporaryPath);
    const temporary = await fs.open(temporaryPath, { create: true });
    const writer = new AcknowledgedFile(temporary, state.sequence);
    for (const [group, acknowledged] of state.groups) writer.setGroup(group, acknowledged);
    writer.setNode(state.node);
    // Both slots of every pair get the state, so one torn later write cannot lose it.
    writer.duplicateNewestSlots();
    await writer.flush();
    await temporary.close();
    await fs.rename(temporaryPath, path);
    await fs.syncDirectory(parentDirectory(path));
    const file = await fs.open(path, { create: false });
    const opened = new AcknowledgedFile(file, writer.sequence);
    opened.adopt(writer);
    return opened;
  }

  setNode(node: AcknowledgedNode): void {
    this.writeSlot(0, SlotKind.Node, [
      node.syncedSegment,
      node.syncedPosition,
      node.oldestSegment,
      0,
      0,
      0,
    ]);
  }

  setGroup(group: GroupId, state: AcknowledgedGroup): void {
    let pair = this.pairOf.get(group);
    if (pair === undefined) {
      pair = this.allocatePair();
      this.pairOf.set(group, pair);
    }
    const fields = [
      group,
      state.ackIndex,
      state.ackTerm,
      state.term,
      state.vote,
      state.votingDisabledUntilIndex,
    ];
    this.writeSlot(pair, SlotKind.Group, fields);
  }

  /** Marks the group removed; its pair is not reused until the next compact rewrite. */
  removeGroup(group: GroupId): void {
    const pair = this.pairOf.get(group);
    if (pair === undefined) return;
    this.writeSlot(pair, SlotKind.GroupRemoved, [group, 0, 0, 0, 0, 0]);
    this.pairOf.delete(group);
  }

  /**
   * Writes every slot changed since the last flush, then one fdatasync. Nearby slots go
   * in one write (rewriting the unchanged bytes between them as they are); slots far
   * apart get their own write, so a flush touching a few of many groups stays small.
   */
  async flush(): Promise<void> {
    if (this.dirtySlots.size === 0) return;
    const offsets = [...this.dirtySlots].sort((a, b) => a - b);
    this.dirtySlots = new Set();
    const ranges: [number, number][] = [];
    let low = offsets[0] as number;
    let high = low + slotBytes;
    for (const offset of offsets.slice(1)) {
      if (offset - high <= coalesceGapBytes) {
        high = offset + slotBytes;
        continue;
      }
      ranges.push([low, high]);
      low = offset;
      high = offset + slotBytes;
    }
    ranges.push([low, high]);
    const copy = (from: number, to: number) => Buffer.from(this.image.subarray(from, to));
    if (ranges.length === 1) {
      // The usual case (every slot of a few hundred groups lies close together): one
      // durable write, one completion instead of two.
      const [from, to] = ranges[0] as [number, number];
      await writeDurably(this.file, copy(from, to), from);
      return;
    }
    await Promise.all(ranges.map(([from, to]) => this.file.write(copy(from, to), from)));
    await this.file.datasync();
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private allocatePair(): number {
    const pair = this.pairCount;
    this.pairCount += 1;
    this.newestSlot.push(1);
    if (this.pairCount * pairBytes > this.image.byteLength) {
      const grown = Buffer.alloc(this.image.byteLength * 2);
      this.image.copy(grown);
      this.image = grown;
    }
    return pair;
  }

  private writeSlot(pair: number, kind: number, fields: readonly number[]): void {
    const slotIndex = 1 - (this.newestSlot[pair] as number);
    this.newestSlot[pair] = slotIndex;
    const at = pair * pairBytes + slotIndex * slotBytes;
    const slot = this.image.subarray(at, at + slotBytes);
    slot.fill(0);
    slot.writeUInt16LE(slotMagic, 8);
    slot[10] = slotVersion;
    slot[11] = kind;
    this.sequence += 1;
    writeSafeU64(slot, this.sequence, 16);
    assert(fields.length === 6, 'a slot has six fields');
    for (const [i, value] of fields.entries()) writeSafeU64(slot, value, fieldsOffset + i * 8);
    slot.writeBigUInt64LE(checksum64(slot.subarray(8)), 0);
    this.dirtySlots.add(at);
  }

  private duplicateNewestSlots(): void {
    for (let pair = 0; pair < this.pairCount; pair++) {
      const at = pair * pairBytes;
      const newest = this.newestSlot[pair] as number;
      const from = at + newest * slotBytes;
      this.image.copy(this.image, at + (1 - newest) * slotBytes, from, from + slotBytes);
    }
    for (let at = 0; at < this.pairCount * pairBytes; at += slotBytes) this.dirtySlots.add(at);
  }

  private adopt(other: AcknowledgedFile): void {
    this.image = other.image;
    this.pairCount = other.pairCount;
    this.newestSlot = other.newestSlot;
    for (const [group, pair] of other.pairOf) this.pairOf.set(group, pair);
  }
}
