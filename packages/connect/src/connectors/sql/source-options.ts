/**
 * Options shared by the SQL sources (SQLite, PostgreSQL):
 *
 *   table | tables        the table(s) to read (tasks split a list; each table is one source partition)
 *   incrementingColumn    a column whose value grows with every new row (an id)
 *   timestampColumn       a column set to the time of every insert and update (updated_at)
 *   keyColumns            columns making the record key (default: the incrementing column)
 *   batchRows             rows per poll, at most
 *
 * At least one of incrementingColumn and timestampColumn. With only the incrementing
 * column new rows are read (updates are not seen); with the timestamp column inserted and
 * updated rows; with both, (timestamp, id) orders rows that share a timestamp.
 */
import type { ConfigReader } from '../../config/config-reader.ts';
import { limits } from '../../limits.ts';

export type SqlSourceMode = 'incrementing' | 'timestamp' | 'timestamp+incrementing';

export interface SqlSourceOptions {
  readonly tables: readonly string[];
  readonly mode: SqlSourceMode;
  readonly incrementingColumn: string | undefined;
  readonly timestampColumn: string | undefined;
  readonly keyColumns: readonly string[];
  readonly batchRows: number;
}

export function readSqlSourceOptions(reader: ConfigReader): SqlSourceOptions {
  const table = reader.optionalString('table');
  const list = reader.optionalStringList('tables');
  if ((table === undefined) === (list === undefined)) {
    reader.problem(`give exactly one of 'table' and 'tables'`);
  }
  const tables = list ?? (table === undefined ? [] : [table]);
  if (new Set(tables).size !== tables.length) reader.problem(`'tables' lists a table twice`);
  const incrementingColumn = reader.optionalString('incrementingColumn');
  const timestampColumn = reader.optionalString('timestampColumn');
  if (incrementingColumn === undefined && timestampColumn === undefined) {
    reader.problem(`give 'incrementingColumn', 'timestampColumn' or both`);
  }
  const mode: SqlSourceMode =
    timestampColumn === undefined
      ? 'incrementing'
      : incrementingColumn === undefined
        ? 'timestamp'
        : 'timestamp+incrementing';
  const keyColumns =
    reader.optionalStringList('keyColumns') ??
    (incrementingColumn === undefined ? [] : [incrementingColumn]);
  const batchRows = reader.integer('batchRows', limits.sourceBatchRecordsDefault, {
    min: 1,
    max: limits.sourceBatchRecordsMax,
  });
  return { tables, mode, incrementingColumn, timestampColumn, keyColumns, batchRows };
}

/** Tables dealt round robin to at most `tasksMax` tasks. */
export function splitTables<T extends { readonly tables: readonly string[] }>(
  options: T,
  tasksMax: number,
): T[] {
  const count = Math.max(1, Math.min(tasksMax, options.tables.length));
  return Array.from({ length: count }, (_, task) => ({
    ...options,
    tables: options.tables.filter((_, index) => index % count === task),
  }));
}
