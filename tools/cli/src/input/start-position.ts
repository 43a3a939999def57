/**
 * Where reading starts (`consume --from`) or where a group is moved to (`group seek --to`):
 *
 *   beginning | earliest     the first offset still in the log
 *   end | latest             the log end (only records produced from now on)
 *   <offset>                 an exact offset, e.g. 42
 *   -<count>                 that many records before the end of each partition, e.g. -10
 *   @<ms> | @<ISO date>      the first record at or after a time, e.g. @1700000000000,
 *                            @2024-05-01, @2024-05-01T12:00:00+02:00 (UTC without a zone)
 */
import { UsageError } from '../errors.ts';

export type StartPosition =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  | { readonly kind: 'offset'; readonly offset: bigint }
  | { readonly kind: 'fromEnd'; readonly count: bigint }
  | { readonly kind: 'timestamp'; readonly timestampMs: number };

export const startPositionSyntax = 'beginning|end|<offset>|-<count>|@<ms or ISO date>';

/** ISO 8601: a date, optionally a time and a zone; without a zone the time is UTC. */
const isoDatePattern =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function hasZone(text: string): boolean {
  return /(?:Z|[+-]\d{2}:?\d{2})$/.test(text.slice(10));
}

function parseTimestamp(text: string, what: string): number {
  const ms = /^\d+$/.test(text)
    ? Number(text)
    : isoDatePattern.test(text)
      ? Date.parse(hasZone(text) ? text : `${text.replace(' ', 'T')}${text.length > 10 ? 'Z' : ''}`)
      : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new UsageError(`${what} '@${text}' is not a time in milliseconds or an ISO date`);
  }
  return ms;
}

function parseOffset(digits: string, what: string, original: string): bigint {
  const offset = BigInt(digits);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`${what} '${original}' is beyond the largest possible offset`);
  }
  return offset;
}

export function parseStartPosition(text: string, what: string): StartPosition {
  const trimmed = text.trim();
  if (trimmed === 'beginning' || trimmed === 'earliest') return { kind: 'beginning' };
  if (trimmed === 'end' || trimmed === 'latest') return { kind: 'end' };
  if (/^\d+$/.test(trimmed)) return { kind: 'offset', offset: parseOffset(trimmed, what, text) };
  if (/^-\d+$/.test(trimmed)) {
    return { kind: 'fromEnd', count: parseOffset(trimmed.slice(1), what, text) };
  }
  if (trimmed.startsWith('@') && trimmed.length > 1) {
    return { kind: 'timestamp', timestampMs: parseTimestamp(trimmed.slice(1), what) };
  }
  throw new UsageError(`${what} '${text}' is not one of ${startPositionSyntax}`);
}

export interface OffsetRange {
  /** The first offset still in the log. */
  readonly low: bigint;
  /** The log end: the offset the next record will get. */
  readonly high: bigint;
}

/**
 * The offset a position names in one partition, for every kind but `timestamp` (which
 * needs the broker). An exact offset outside the log is brought to its nearest end, so a
 * position applies sensibly to every partition of a topic.
 */
export function offsetInRange(position: StartPosition, range: OffsetRange): bigint {
  const clamp = (offset: bigint) =>
    offset < range.low ? range.low : offset > range.high ? range.high : offset;
  switch (position.kind) {
    case 'beginning':
      return range.low;
    case 'end':
      return range.high;
    case 'offset':
      return clamp(position.offset);
    case 'fromEnd':
      return clamp(range.high - position.count);
    case 'timestamp':
      throw new Error('a timestamp position needs the broker to find its offset');
  }
}
