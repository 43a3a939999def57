/**
 * From a sink record to the row it writes: the key columns (from the record key, an object
 * or, with one key column, a plain value; else from the value), and the value's fields. A
 * record that does not fit is a `RecordError` (dead-letter topic).
 */
import { isPlainObject } from '../../config/config-reader.ts';
import { RecordError } from '../../errors.ts';
import type { SinkRecord } from '../../records.ts';
import type { SqlSinkOptions } from './sink-options.ts';

export type RowOperation =
  | {
      readonly kind: 'upsert';
      readonly key: readonly unknown[];
      readonly fields: Map<string, unknown>;
    }
  | { readonly kind: 'delete'; readonly key: readonly unknown[] }
  | { readonly kind: 'skip' };

export function keyOf(record: SinkRecord, keyColumns: readonly string[]): unknown[] {
  const { key, value } = record;
  const from = (source: Record<string, unknown>) =>
    keyColumns.every((column) => source[column] !== undefined && source[column] !== null)
      ? keyColumns.map((column) => source[column])
      : undefined;
  const fromKey = isPlainObject(key) ? from(key) : undefined;
  if (fromKey !== undefined) return fromKey;
  if (keyColumns.length === 1 && key !== null && key !== undefined && !isPlainObject(key))
    return [key];
  const fromValue = isPlainObject(value) ? from(value) : undefined;
  if (fromValue !== undefined) return fromValue;
  throw new RecordError(
    'RECORD_REJECTED',
    `the record has no key columns ${keyColumns.join(', ')} in its key or value`,
  );
}

export function operationOf(record: SinkRecord, options: SqlSinkOptions): RowOperation {
  if (record.value === null || record.value === undefined) {
    if (!options.deleteOnTombstone) return { kind: 'skip' };
    return { kind: 'delete', key: keyOf(record, options.keyColumns) };
  }
  if (!isPlainObject(record.value)) {
    throw new RecordError(
      'RECORD_REJECTED',
      'the record value is not an object (use the json converter)',
    );
  }
  const key = keyOf(record, options.keyColumns);
  const fields = new Map<string, unknown>();
  for (const [field, value] of Object.entries(record.value)) {
    if (options.fields === undefined || options.fields.includes(field)) fields.set(field, value);
  }
  options.keyColumns.forEach((column, index) => {
    fields.set(column, key[index]);
  });
  return { kind: 'upsert', key, fields };
}

/** Fields the table lacks: dropped, or the record is rejected. */
export function fitToColumns(
  fields: Map<string, unknown>,
  columns: ReadonlySet<string>,
  options: Pick<SqlSinkOptions, 'ignoreUnknownFields' | 'table'>,
): Map<string, unknown> {
  const unknown = [...fields.keys()].filter((field) => !columns.has(field));
  if (unknown.length === 0) return fields;
  if (!options.ignoreUnknownFields) {
    throw new RecordError(
      'RECORD_REJECTED',
      `table ${options.table} has no column ${unknown.join(', ')}`,
    );
  }
  const fitted = new Map(fields);
  for (const field of unknown) fitted.delete(field);
  return fitted;
}

export type ColumnKind = 'integer' | 'real' | 'text' | 'boolean' | 'bytes' | 'json';

/** What kind of column a first value suggests, for `autoCreate`. */
export function columnKindOf(value: unknown): ColumnKind {
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'real';
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object' && value !== null) return 'json';
  return 'text';
}
