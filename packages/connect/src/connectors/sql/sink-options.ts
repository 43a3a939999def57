/**
 * Options shared by the SQL sinks (SQLite, PostgreSQL):
 *
 *   table               the table written (upsert by key)
 *   keyColumns          the primary-key columns the record key maps to (required)
 *   fields              write only these value fields (default: all)
 *   autoCreate          create the table from the first record if missing (default false)
 *   deleteOnTombstone   a null value deletes the key's row (default true)
 *   ignoreUnknownFields fields the table lacks are dropped instead of rejecting the record
 */
import type { ConfigReader } from '../../config/config-reader.ts';

export interface SqlSinkOptions {
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly fields: readonly string[] | undefined;
  readonly autoCreate: boolean;
  readonly deleteOnTombstone: boolean;
  readonly ignoreUnknownFields: boolean;
}

export function readSqlSinkOptions(reader: ConfigReader): SqlSinkOptions {
  const table = reader.requiredString('table');
  const keyColumns = reader.optionalStringList('keyColumns');
  if (keyColumns === undefined)
    reader.problem(`'keyColumns' (the primary key the record key maps to) is required`);
  return {
    table,
    keyColumns: keyColumns ?? [],
    fields: reader.optionalStringList('fields'),
    autoCreate: reader.boolean('autoCreate', false),
    deleteOnTombstone: reader.boolean('deleteOnTombstone', true),
    ignoreUnknownFields: reader.boolean('ignoreUnknownFields', false),
  };
}
