/**
 * The WAL's segment files: `wal/<sequence>.wal`, sequence zero-padded to 20 digits and
 * increasing by one per roll. Each starts with a segment-start record naming its own
 * sequence. Tracks, per segment, how many live record references point into it; the
 * oldest segments are deleted, in order, once nothing refers to them.
 */
import { join } from 'node:path';
import { assert } from './assert.ts';
import { ByteBuffer } from './byte-buffer.ts';
import type { WalFile, WalFileSystem } from './file-system.ts';
import { beginRecord, finishRecord, RecordKind } from './record.ts';
import type { RecordRef } from './record-ref.ts';

const segmentNamePattern = /^(\d{20})\.wal$/;

export function segmentFileName(sequence: number): string {
  return `${String(sequence).padStart(20, '0')}.wal`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = segmentNamePattern.exec(name);
  if (match === null) return undefined;
  const sequence = Number(match[1]);
  return Number.isSafeInteger(sequence) && sequence > 0 ? sequence : undefined;
}

export class Segment {
  /** Live references from group state (entries runs, hard states, ...). */
  entryRefs = 0;
  stateRefs = 0;
  /** Its state records were relogged once it held no entries (see RaftWal). */
  stateRelogged = false;

  constructor(
    readonly sequence: number,
    readonly file: WalFile,
    /** Bytes written so far (the next write position). */
    public size: number,
  ) {}

  get refs(): number {
    return this.entryRefs + this.stateRefs;
  }
}

/**
 * The first record of every segment: its own sequence, and the final size of the segment
 * before it, so that recovery notices a segment cut short even at a record boundary.
 */
export function encodeSegmentStart(sequence: number, previousSegmentBytes: number): Buffer {
  const out = new ByteBuffer(64);
  const start = beginRecord(out, RecordKind.SegmentStart, 0);
  out.u64(sequence);
  out.u64(previousSegmentBytes);
  finishRecord(out, start);
  return Buffer.from(out.view());
}

export class SegmentSet {
  /** Oldest first; the last one is the active segment that takes writes. */
  readonly segments: Segment[] = [];

  constructor(
    private readonly fs: WalFileSystem,
    readonly directory: string,
  ) {}

  get active(): Segment {
    const last = this.segments.at(-1);
    assert(last !== undefined, 'the WAL always has an active segment');
    return last;
  }

  get oldestSequence(): number {
    return this.segments[0]?.sequence ?? 0;
  }

  bySequence(sequence: number): Segment {
    const first = this.segments[0];
    const segment = first === undefined ? undefined : this.segments[sequence - first.sequence];
    if (segment === undefined || segment.sequence !== sequence)
      assert(false, `segment ${sequence} is not open`);
    return segment;
  }

  adopt(segment: Segment): void {
    const last = this.segments.at(-1);
    if (last !== undefined)
      assert(segment.sequence === last.sequence + 1, 'segments are consecutive');
    this.segments.push(segment);
  }

  /** Creates the next segment and makes its directory entry durable. */
  async roll(): Promise<Segment> {
    const previous = this.segments.at(-1);
    const sequence = (previous?.sequence ?? 0) + 1;
    const path = join(this.directory, segmentFileName(sequence));
    await this.fs.remove(path);
    const file = await this.fs.open(path, { create: true });
    const start = encodeSegmentStart(sequence, previous?.size ?? 0);
    await file.write(start, 0);
    await file.datasync();
    await this.fs.syncDirectory(this.directory);
    const segment = new Segment(sequence, file, start.byteLength);
    this.adopt(segment);
    return segment;
  }

  pin(ref: RecordRef): void {
    const segment = this.bySequence(ref.segment);
    if (ref.carriesEntries) segment.entryRefs += 1;
    else segment.stateRefs += 1;
  }

  unpin(ref: RecordRef): void {
    const segment = this.bySequence(ref.segment);
    if (ref.carriesEntries) segment.entryRefs -= 1;
    else segment.stateRefs -= 1;
    assert(segment.entryRefs >= 0 && segment.stateRefs >= 0, 'segment reference count < 0');
  }

  /** How many of the oldest segments no live record needs (never the active one). */
  deletableCount(): number {
    let count = 0;
    while (count < this.segments.length - 1 && (this.segments[count] as Segment).refs === 0) {
      count += 1;
    }
    return count;
  }

  /** Closes and removes the `count` oldest segments (their emptiness already recorded). */
  async deleteOldest(count: number): Promise<void> {
    const doomed = this.segments.splice(0, count);
    for (const segment of doomed) {
      assert(segment.refs === 0, 'only unreferenced segments are deleted');
      await segment.file.close();
      await this.fs.remove(join(this.directory, segmentFileName(segment.sequence)));
    }
    if (doomed.length > 0) await this.fs.syncDirectory(this.directory);
  }

  async closeAll(): Promise<void> {
    for (const segment of this.segments) await segment.file.close();
    this.segments.length = 0;
  }
}
