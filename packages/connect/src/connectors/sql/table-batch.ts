/** Reading one batch of a table after a position, and turning rows into source records. */
import type { SourceRecord } from '../../records.ts';
import {
  type BuiltQuery,
  type IncrementalQuery,
  type SqlPosition,
  timestampAlias,
} from './incremental-query.ts';
import type { SqlSourceOptions } from './source-options.ts';

export type Row = Record<string, unknown>;

/**
 * The next rows after `after` (at or before `bound`), at most `batchRows` of them. In
 * timestamp mode the position is a timestamp alone, so a batch must not end inside a run
 * of rows sharing one: the rows of the last timestamp are dropped (read next time), and if
 * the whole batch shares it, that whole run is read.
 */
export async function readTableBatch(
  run: (query: BuiltQuery) => Promise<Row[]>,
  query: IncrementalQuery,
  options: Pick<SqlSourceOptions, 'mode' | 'batchRows'>,
  after: SqlPosition | undefined,
  bound?: SqlPosition,
): Promise<Row[]> {
  const rows = await run(query.rowsAfter(after, bound, options.batchRows));
  if (options.mode !== 'timestamp' || rows.length < options.batchRows) return rows;
  const lastTs = query.positionOf(rows[rows.length - 1]!).ts!;
  const before = rows.filter((row) => query.positionOf(row).ts !== lastTs);
  if (before.length > 0) return before;
  return run(query.rowsAt(lastTs));
}

/** Plain JSON-friendly values: integers too large for a number become decimal text. */
function plainValue(value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value.toString();
}

export function rowsToRecords(
  rows: readonly Row[],
  context: {
    readonly table: string;
    readonly sourcePartition: string;
    readonly query: IncrementalQuery;
    readonly keyColumns: readonly string[];
  },
): SourceRecord[] {
  return rows.map((row) => {
    const value: Row = {};
    for (const [column, field] of Object.entries(row)) {
      if (column !== timestampAlias) value[column] = plainValue(field);
    }
    const key =
      context.keyColumns.length === 0
        ? null
        : Object.fromEntries(context.keyColumns.map((column) => [column, value[column] ?? null]));
    return {
      sourcePartition: context.sourcePartition,
      position: { ...context.query.positionOf(row) },
      key,
      value,
      headers: { 'connect.table': context.table },
    };
  });
}
