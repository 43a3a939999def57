/**
 * Reads the WAL's segments back at open and replays them, deciding what to do with bad
 * bytes by this table (the synced position comes from the acknowledged-state file):
 *
 * | where the first bad record lies              | valid record after it | decision                      |
 * | -------------------------------------------- | --------------------- | ----------------------------- |
 * | last segment, at or past the synced position | either                | torn tail: truncate there     |
 * | last segment, before the synced position     | no                    | damaged tail: truncate there  |
 * | anywhere else, record header intact          | yes                   | corrupt: fence its group, skip|
 * | anywhere else, record header damaged         | yes                   | corrupt: fence every group    |
 * | a segment other than the last                | no                    | corrupt: fence every group    |
 *
 * Bytes past the last fsync may be torn in any way (even with valid records after the
 * damage, since pages reach the disk out of order), so there only truncation is right;
 * the acknowledged-state file then tells whether anything acknowledged was lost. Below
 * the synced position, damage is corruption and never silently skipped. Segments below
 * the recorded oldest segment are stale copies of deleted ones; a gap is a lost segment;
 * a segment that does not end where the next one's start record says it ended was cut
 * (even at a record boundary) or grew: both are corruption.
 */
import { join } from 'node:path';
import type { AcknowledgedNode } from './acknowledged-file.ts';
import { RaftStorageError } from './errors.ts';
import type { WalFileSystem } from './file-system.ts';
import {
  bodyMatches,
  decodeRecordHeader,
  findNextValidRecord,
  RecordKind,
  recordHeaderBytes,
} from './record.ts';
import { readSegmentStartBody } from './record-body.ts';
import type { Replayer } from './replay.ts';
import { parseSegmentFileName, Segment, type SegmentSet, segmentFileName } from './segments.ts';

export interface SegmentRecovery {
  /** Bytes cut off the end of the last segment (torn or damaged tail). */
  readonly truncatedBytes: number;
  /** Stale segment files (below the recorded oldest) that were removed. */
  readonly staleSegmentsRemoved: number;
  /** The last segment ends before the position recorded as fsynced. */
  readonly endsBeforeSyncedPosition: boolean;
}

interface ParsedSegment {
  /** Where the valid bytes end (the truncation point, for the last segment). */
  readonly end: number;
  /** What its start record says of the segment before it, if it could be read. */
  readonly previousSegmentBytes: number | undefined;
}

export async function recoverSegments(
  fs: WalFileSystem,
  segments: SegmentSet,
  replayer: Replayer,
  synced: AcknowledgedNode,
): Promise<SegmentRecovery> {
  const directory = segments.directory;
  const sequences = (await fs.list(directory))
    .map(parseSegmentFileName)
    .filter((s): s is number => s !== undefined)
    .sort((a, b) => a - b);
  const stale = sequences.filter((s) => s < synced.oldestSegment);
  for (const sequence of stale) await fs.remove(join(directory, segmentFileName(sequence)));
  const live = sequences.filter((s) => s >= synced.oldestSegment);
  checkContiguous(live, synced, replayer);
  let truncatedBytes = 0;
  let endsBeforeSyncedPosition = live.length === 0 && synced.syncedSegment > 0;
  let previousEnd: number | undefined;
  for (const [i, sequence] of live.entries()) {
    const isLast = i === live.length - 1;
    const file = await fs.open(join(directory, segmentFileName(sequence)), { create: false });
    const size = await file.size();
    const bytes = Buffer.allocUnsafe(size);
    file.readSync(bytes, 0);
    const segment = new Segment(sequence, file, size);
    segments.adopt(segment);
    const syncedLimit = syncedLimitOf(sequence, synced);
    const parsed = parseSegment(bytes, sequence, isLast, syncedLimit, replayer);
    const declared = parsed.previousSegmentBytes;
    if (previousEnd !== undefined && declared !== undefined && declared !== previousEnd) {
      replayer.fenceNode(
        `segment ${sequence - 1} ends at ${previousEnd}, not where segment ${sequence} says`,
      );
    }
    previousEnd = parsed.end;
    if (!isLast) continue;
    endsBeforeSyncedPosition =
      sequence < synced.syncedSegment ||
      (sequence === synced.syncedSegment && parsed.end < synced.syncedPosition);
    truncatedBytes = size - parsed.end;
    if (parsed.end === 0) {
      // Not even its segment-start record made it: a segment whose creation was torn.
      segments.segments.pop();
      await file.close();
      await fs.remove(join(directory, segmentFileName(sequence)));
      await fs.syncDirectory(directory);
    } else if (parsed.end < size) {
      await file.truncate(parsed.end);
      await file.datasync();
      segment.size = parsed.end;
    }
  }
  return { truncatedBytes, staleSegmentsRemoved: stale.length, endsBeforeSyncedPosition };
}

function checkContiguous(live: number[], synced: AcknowledgedNode, replayer: Replayer): void {
  const first = live[0];
  if (first !== undefined && synced.oldestSegment > 0 && first > synced.oldestSegment) {
    replayer.fenceNode(`segments ${synced.oldestSegment} to ${first - 1} are missing`);
  }
  for (let i = 1; i < live.length; i++) {
    if (live[i] !== (live[i - 1] as number) + 1) {
      // Not replayable past the hole, and the segments after it must not be overwritten by
      // the next roll: the WAL refuses to open (it went on to trip an assertion; found by
      // chaos seed 20261171 with 64 KiB segments, a power loss keeping a later segment).
      throw new RaftStorageError(
        'SEGMENT_MISSING',
        `WAL corrupt: segments after ${live[i - 1]} and before ${live[i]} are missing`,
      );
    }
  }
  if (replayer.nodeFault !== undefined) {
    const fault = replayer.nodeFault;
    replayer.nodeFault = new RaftStorageError('SEGMENT_MISSING', fault.message);
  }
}

/** Bytes of this segment below which the acknowledged-state file says all was fsynced. */
function syncedLimitOf(sequence: number, synced: AcknowledgedNode): number {
  if (sequence < synced.syncedSegment) return Number.POSITIVE_INFINITY;
  if (sequence === synced.syncedSegment) return synced.syncedPosition;
  return 0;
}

function parseSegment(
  bytes: Buffer,
  sequence: number,
  isLast: boolean,
  syncedLimit: number,
  replayer: Replayer,
): ParsedSegment {
  let offset = 0;
  let previousSegmentBytes: number | undefined;
  if (bytes.byteLength === 0 && !isLast) replayer.fenceNode(`segment ${sequence} is empty`);
  while (offset < bytes.byteLength) {
    const header = decodeRecordHeader(bytes, offset);
    const size = header === undefined ? 0 : recordHeaderBytes + header.bodySize;
    const fits = header !== undefined && offset + size <= bytes.byteLength;
    const body = fits ? bytes.subarray(offset + recordHeaderBytes, offset + size) : undefined;
    if (header !== undefined && body !== undefined && bodyMatches(header, body)) {
      if (offset === 0) {
        const start =
          header.kind === RecordKind.SegmentStart ? readSegmentStartBody(body) : undefined;
        if (start === undefined || start.sequence !== sequence) {
          replayer.fenceNode(
            `segment ${sequence} does not start with its own segment-start record`,
          );
        }
        previousSegmentBytes = start?.previousSegmentBytes;
      } else {
        replayer.apply(header, body, { segment: sequence, position: offset, size });
      }
      offset += size;
      continue;
    }
    // A bad record at `offset`: decide by the table above.
    if (isLast && offset >= syncedLimit) return { end: offset, previousSegmentBytes };
    const next = findNextValidRecord(bytes, offset + 1);
    if (isLast && next === -1) return { end: offset, previousSegmentBytes };
    if (header !== undefined && fits && header.kind !== RecordKind.SegmentStart) {
      replayer.damagedRecord(header.group, { segment: sequence, position: offset, size });
      offset += size;
      continue;
    }
    replayer.fenceNode(`unreadable bytes at segment ${sequence} position ${offset}`);
    if (next === -1) return { end: bytes.byteLength, previousSegmentBytes };
    offset = next;
  }
  return { end: offset, previousSegmentBytes };
}
