/**
 * Names of the files in a partition directory. A segment is named by its base offset,
 * zero-padded to 20 digits as Kafka does, so names sort in offset order:
 *
 *   00000000000000001234.log          the batches, each in a frame
 *   00000000000000001234.index        sparse offset index (sealed segments only)
 *   00000000000000001234.timeindex    sparse time index (sealed segments only)
 *   <any of those>.cleaned            compaction output, not yet committed
 *   <any of those>.swap               compaction output, committed, not yet in place
 *   <any of those>.deleted            removed from the log, not yet unlinked
 *   checkpoint                        the durable offset (two checksummed slots)
 *   clean-shutdown                    present only between a clean close and the next open
 */

export type SegmentFileKind = 'log' | 'index' | 'timeindex';
export type SegmentFileState = 'live' | 'cleaned' | 'swap' | 'deleted';

export const checkpointFileName = 'checkpoint';
export const checkpointTemporaryFileName = 'checkpoint.tmp';
export const cleanShutdownFileName = 'clean-shutdown';

const offsetDigits = 20;
const segmentFilePattern = /^(\d{20})\.(log|index|timeindex)(?:\.(cleaned|swap|deleted))?$/;

export interface SegmentFileName {
  readonly baseOffset: number;
  readonly kind: SegmentFileKind;
  readonly state: SegmentFileState;
}

export function segmentFileName(
  baseOffset: number,
  kind: SegmentFileKind,
  state: SegmentFileState = 'live',
): string {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new RangeError(`segment base offset ${baseOffset} is not a safe offset`);
  }
  const name = `${String(baseOffset).padStart(offsetDigits, '0')}.${kind}`;
  return state === 'live' ? name : `${name}.${state}`;
}

/** Parses a segment file name; null for any other name. */
export function parseSegmentFileName(name: string): SegmentFileName | null {
  const match = segmentFilePattern.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return {
    baseOffset,
    kind: match[2] as SegmentFileKind,
    state: (match[3] ?? 'live') as SegmentFileState,
  };
}
