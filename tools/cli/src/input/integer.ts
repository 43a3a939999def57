/** Whole numbers typed on the command line: digits only, within a stated range. */
import { UsageError } from '../errors.ts';

export function parseInteger(
  text: string,
  what: string,
  range: { readonly min: number; readonly max: number },
): number {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${what} must be a whole number, got '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new UsageError(`${what} must be between ${range.min} and ${range.max}, got ${text}`);
  }
  return value;
}

/** `0,2,5`: distinct partition numbers. */
export function parsePartitionList(text: string, what = 'partition'): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const partitions = parts.map((part) =>
    parseInteger(part, what, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  );
  if (new Set(partitions).size !== partitions.length) {
    throw new UsageError(`${what} list '${text}' repeats a partition`);
  }
  return partitions;
}
