/**
 * How a history's record value travels as a record: JSON text, so numbers and strings stay
 * distinct on the way back. Bytes that are not JSON of a string or a finite number are kept
 * as their raw text: a phantom the checkers will report, never an exception.
 */
import type { RecordValue } from '../../history/operation.ts';

export function encodeRecordValue(value: RecordValue): string {
  return JSON.stringify(value);
}

export function decodeRecordValue(bytes: Buffer | null): RecordValue {
  if (bytes === null) return '<null>';
  const text = bytes.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') return parsed;
    if (typeof parsed === 'number' && Number.isFinite(parsed)) return parsed;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `<raw>${text}`;
}

/** A bigint offset from the client, as the history's number (always a safe integer on the wire). */
export function offsetNumber(offset: bigint): number {
  const value = Number(offset);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad offset ${offset}`);
  return value;
}
