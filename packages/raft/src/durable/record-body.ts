/**
 * Bodies of WAL records, one per kind (framing and checksums are in `record.ts`):
 *
 *   segment-start := sequence:u64 previousSegmentBytes:u64
 *   entries       := indexFirst:u64 count:u32 entry{count}
 *     entry       := term:u64 type:u8 size:u32 data:byte{size}
 *   hard-state    := term:u64 vote:u64 commit:u64
 *   config        := members(voters) members(outgoingVoters) members(learners)
 *     members     := count:u32 nodeId:u64{count}
 *   snapshot      := index:u64 term:u64 flags:u8 config      flags bit 0: the log was reset
 *   compact       := index:u64 term:u64
 *   group-removed := (empty)
 *
 * An entries record starting at index i replaces whatever the group's log held at >= i.
 * Decoders return undefined on any inconsistency; a checksum already matched, so that
 * means a bug or a forged record, and the caller treats it as corruption.
 */
import type { ConfigState, Entry, EntryType, HardState } from '../core/types.ts';
import { assert } from './assert.ts';
import { type ByteBuffer, readSafeU64, writeSafeU64 } from './byte-buffer.ts';
import { configMembersMax } from './limits.ts';

export const entriesBodyHeaderBytes = 12;
export const entryHeaderBytes = 13;
const entryTypeLast = 2;

export function writeEntriesBody(
  out: ByteBuffer,
  entries: readonly Entry[],
  from: number,
  to: number,
): void {
  const first = entries[from];
  assert(first !== undefined && to > from, 'an entries record holds at least one entry');
  let size = entriesBodyHeaderBytes;
  for (let i = from; i < to; i++) size += entryHeaderBytes + (entries[i] as Entry).data.byteLength;
  // One capacity check, then direct writes through a DataView (cheaper than Buffer's
  // checked write methods): this loop runs for every entry the node stores.
  let at = out.skip(size);
  const bytes = out.bytes;
  const view = out.dataViewOfBytes;
  writeSafeU64(bytes, first.index, at);
  view.setUint32(at + 8, to - from, true);
  at += entriesBodyHeaderBytes;
  for (let i = from; i < to; i++) {
    const entry = entries[i] as Entry;
    const term = entry.term;
    if (entry.index !== first.index + (i - from))
      assert(false, 'entries in a record are contiguous');
    if (!Number.isSafeInteger(term) || term < 0) assert(false, `entry term ${term} is not valid`);
    view.setUint32(at, term % twoTo32, true);
    view.setUint32(at + 4, Math.floor(term / twoTo32), true);
    bytes[at + 8] = entry.type;
    const data = entry.data;
    view.setUint32(at + 9, data.byteLength, true);
    bytes.set(data, at + entryHeaderBytes);
    at += entryHeaderBytes + data.byteLength;
  }
}

const twoTo32 = 4294967296;

/**
 * Terms of an entries record, kept per run of entries instead of per entry:
 * `termChanges` lists [offset, term] pairs where the term changes (offset from indexFirst).
 */
export interface EntriesSummary {
  readonly indexFirst: number;
  readonly count: number;
  readonly termFirst: number;
  readonly termChanges: number[] | undefined;
}

/** Walks an entries body without copying data; undefined if it is inconsistent. */
export function summarizeEntriesBody(body: Buffer): EntriesSummary | undefined {
  if (body.byteLength < entriesBodyHeaderBytes) return undefined;
  const indexFirst = readSafeU64(body, 0);
  const count = body.readUInt32LE(8);
  if (indexFirst === undefined || indexFirst < 1 || count < 1) return undefined;
  let at = entriesBodyHeaderBytes;
  let termFirst = 0;
  let termLast = 0;
  let termChanges: number[] | undefined;
  for (let i = 0; i < count; i++) {
    if (at + entryHeaderBytes > body.byteLength) return undefined;
    const term = readSafeU64(body, at);
    const type = body[at + 8] as number;
    const size = body.readUInt32LE(at + 9);
    if (term === undefined || term < 1 || type > entryTypeLast || term < termLast) return undefined;
    if (i === 0) termFirst = term;
    else if (term !== termLast) {
      termChanges ??= [];
      termChanges.push(i, term);
    }
    termLast = term;
    at += entryHeaderBytes + size;
  }
  if (at !== body.byteLength) return undefined;
  return { indexFirst, count, termFirst, termChanges };
}

/**
 * Entries [low, high) of an entries body, stopping before `bytesMax` of data (but always
 * at least one). Data are views into `body`.
 */
export function readEntriesBody(
  body: Buffer,
  low: number,
  high: number,
  state: ReadBudget,
): Entry[] {
  const indexFirst = readSafeU64(body, 0) as number;
  const count = body.readUInt32LE(8);
  const entries: Entry[] = [];
  let at = entriesBodyHeaderBytes;
  for (let i = 0; i < count; i++) {
    const index = indexFirst + i;
    const size = body.readUInt32LE(at + 9);
    if (index >= high) break;
    if (index >= low) {
      if (state.taken > 0 && state.bytes + size > state.bytesMax) {
        state.full = true;
        break;
      }
      const term = readSafeU64(body, at) as number;
      const type = body[at + 8] as EntryType;
      const data = body.subarray(at + entryHeaderBytes, at + entryHeaderBytes + size);
      entries.push({ index, term, type, data });
      state.bytes += size;
      state.taken += 1;
    }
    at += entryHeaderBytes + size;
  }
  return entries;
}

/** The running byte budget of one `entries()` call, shared across records and the cache. */
export interface ReadBudget {
  readonly bytesMax: number;
  bytes: number;
  taken: number;
  full: boolean;
}

export function writeHardStateBody(out: ByteBuffer, hardState: HardState): void {
  out.u64(hardState.term);
  out.u64(hardState.vote);
  out.u64(hardState.commit);
}

export function readHardStateBody(body: Buffer): HardState | undefined {
  if (body.byteLength !== 24) return undefined;
  const term = readSafeU64(body, 0);
  const vote = readSafeU64(body, 8);
  const commit = readSafeU64(body, 16);
  if (term === undefined || vote === undefined || commit === undefined) return undefined;
  return { term, vote, commit };
}

export function writeConfigBody(out: ByteBuffer, config: ConfigState): void {
  for (const members of [config.voters, config.outgoingVoters, config.learners]) {
    assert(members.length <= configMembersMax, 'too many members in a configuration');
    out.u32(members.length);
    for (const id of members) out.u64(id);
  }
}

/** Reads a config at `offset`; returns it and where it ended, or undefined. */
export function readConfigBody(
  body: Buffer,
  offset: number,
): { config: ConfigState; end: number } | undefined {
  const lists: number[][] = [];
  let at = offset;
  for (let list = 0; list < 3; list++) {
    if (at + 4 > body.byteLength) return undefined;
    const count = body.readUInt32LE(at);
    at += 4;
    if (count > configMembersMax || at + count * 8 > body.byteLength) return undefined;
    const members: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = readSafeU64(body, at);
      if (id === undefined || id < 1) return undefined;
      members.push(id);
      at += 8;
    }
    lists.push(members);
  }
  const [voters, outgoingVoters, learners] = lists as [number[], number[], number[]];
  return { config: { voters, outgoingVoters, learners }, end: at };
}

export interface SnapshotRecordBody {
  readonly index: number;
  readonly term: number;
  /** True when the log was replaced by the snapshot (installed from a leader). */
  readonly resetLog: boolean;
  readonly config: ConfigState;
}

export function writeSnapshotBody(out: ByteBuffer, body: SnapshotRecordBody): void {
  out.u64(body.index);
  out.u64(body.term);
  out.u8(body.resetLog ? 1 : 0);
  writeConfigBody(out, body.config);
}

export function readSnapshotBody(body: Buffer): SnapshotRecordBody | undefined {
  if (body.byteLength < 17) return undefined;
  const index = readSafeU64(body, 0);
  const term = readSafeU64(body, 8);
  const flags = body[16] as number;
  const config = readConfigBody(body, 17);
  if (index === undefined || term === undefined || flags > 1 || config === undefined) {
    return undefined;
  }
  if (config.end !== body.byteLength) return undefined;
  return { index, term, resetLog: flags === 1, config: config.config };
}

export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

export function writePositionBody(out: ByteBuffer, position: LogPosition): void {
  out.u64(position.index);
  out.u64(position.term);
}

export function readPositionBody(body: Buffer): LogPosition | undefined {
  if (body.byteLength !== 16) return undefined;
  const index = readSafeU64(body, 0);
  const term = readSafeU64(body, 8);
  if (index === undefined || term === undefined) return undefined;
  return { index, term };
}

export interface SegmentStart {
  readonly sequence: number;
  /** Final size of the segment before this one when this one was created (0 for the first). */
  readonly previousSegmentBytes: number;
}

export function readSegmentStartBody(body: Buffer): SegmentStart | undefined {
  if (body.byteLength !== 16) return undefined;
  const sequence = readSafeU64(body, 0);
  const previousSegmentBytes = readSafeU64(body, 8);
  if (sequence === undefined || previousSegmentBytes === undefined) return undefined;
  return { sequence, previousSegmentBytes };
}
