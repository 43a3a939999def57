/**
 * Single-message transforms: pure functions from one record to one record, configured as a
 * list of `{ type, ... }` objects and applied in order. A record a transform cannot handle
 * (a value that is not an object, a missing field) is a `RecordError` (dead-letter topic).
 */
import type { ConfigReader } from '../config/config-reader.ts';
import { isPlainObject } from '../config/config-reader.ts';
import { RecordError } from '../errors.ts';
import type { ConnectRecord } from '../records.ts';

export type Transform = (record: ConnectRecord) => ConnectRecord;

export interface TransformPlugin {
  readonly type: string;
  readonly description: string;
  /** Reads the transform's options (its `type` already taken) and builds it. */
  create(reader: ConfigReader): Transform;
}

export type FieldTarget = 'key' | 'value';

export function readTarget(reader: ConfigReader): FieldTarget {
  return reader.oneOf('target', ['key', 'value'] as const, 'value');
}

/**
 * The record's key or value as a plain object to edit; tombstones (null) pass through
 * untouched (`undefined` is returned), anything else that is not an object is an error.
 */
export function objectToEdit(
  record: ConnectRecord,
  target: FieldTarget,
  transform: string,
): Record<string, unknown> | undefined {
  const subject = target === 'key' ? record.key : record.value;
  if (subject === null || subject === undefined) return undefined;
  if (!isPlainObject(subject)) {
    throw new RecordError(
      'TRANSFORM_FAILED',
      `${transform}: the record ${target} is not an object (use the json converter)`,
    );
  }
  return { ...subject };
}

export function withTarget(
  record: ConnectRecord,
  target: FieldTarget,
  edited: Record<string, unknown>,
): ConnectRecord {
  return target === 'key' ? { ...record, key: edited } : { ...record, value: edited };
}
