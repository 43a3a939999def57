/**
 * SqliteSource: reads new (and, with a timestamp column, updated) rows of SQLite tables.
 * Options: `database` (file path, required) plus the SQL source options
 * (`connectors/sql/source-options.ts`). Records: key = the key columns as an object, value
 * = the row as an object, header `connect.table`.
 *
 * SQLite has one writer at a time, and a row's id is drawn inside its writing transaction,
 * so rows become visible in id order: a row is never skipped in incrementing mode. In
 * timestamp mode the timestamps must grow in commit order (set them when writing).
 */
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { SourceConnectorPlugin, SourceTask } from '../../connector.ts';
import { ConnectError, ExternalSystemError } from '../../errors.ts';
import type { JsonValue, SourceRecord } from '../../records.ts';
import { quoteQualified } from '../sql/identifiers.ts';
import {
  type Dialect,
  IncrementalQuery,
  readSqlPosition,
  type SqlPosition,
} from '../sql/incremental-query.ts';
import { readSqlSourceOptions, type SqlSourceOptions, splitTables } from '../sql/source-options.ts';
import { type Row, readTableBatch, rowsToRecords } from '../sql/table-batch.ts';

export interface SqliteSourceOptions extends SqlSourceOptions {
  readonly database: string;
}

export const sqliteDialect: Dialect = {
  placeholder: () => '?',
  timestampSelect: (column) => column,
};

export const sqliteSource: SourceConnectorPlugin<SqliteSourceOptions> = {
  kind: 'source',
  className: 'SqliteSource',
  description:
    'reads new and updated rows of SQLite tables (incrementing id and/or updated-at column)',
  parseConfig(reader) {
    return {
      database: resolve(reader.requiredString('database')),
      ...readSqlSourceOptions(reader),
    };
  },
  taskConfigs: splitTables,
  createTask(options) {
    return new SqliteSourceTask(options);
  },
};

interface TableCursor {
  readonly table: string;
  readonly sourcePartition: string;
  readonly query: IncrementalQuery;
  position: SqlPosition | undefined;
}

class SqliteSourceTask implements SourceTask {
  readonly sourcePartitions: readonly string[];
  private database: Database.Database | undefined;
  private cursors: TableCursor[] = [];
  private next = 0;

  constructor(private readonly options: SqliteSourceOptions) {
    this.sourcePartitions = options.tables.map((table) => `table:${table}`);
  }

  async start(positions: ReadonlyMap<string, JsonValue>): Promise<void> {
    try {
      this.database = new Database(this.options.database, {
        readonly: true,
        fileMustExist: true,
        timeout: 5_000,
      });
      this.database.defaultSafeIntegers(true);
    } catch (error) {
      throw new ExternalSystemError(`cannot open SQLite database ${this.options.database}`, {
        cause: error,
      });
    }
    this.cursors = this.options.tables.map((table) => {
      this.checkColumns(table);
      const sourcePartition = `table:${table}`;
      return {
        table,
        sourcePartition,
        query: new IncrementalQuery(table, this.options, sqliteDialect),
        position: readSqlPosition(positions.get(sourcePartition), this.options),
      };
    });
  }

  private checkColumns(table: string): void {
    const columns = new Set(
      (
        this.database!.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as {
          name: string;
        }[]
      ).map((c) => c.name),
    );
    if (columns.size === 0) {
      throw new ConnectError(
        'INVALID_CONFIG',
        `SQLite table ${quoteQualified(table)} does not exist in ${this.options.database}`,
      );
    }
    const wanted = [
      this.options.incrementingColumn,
      this.options.timestampColumn,
      ...this.options.keyColumns,
    ];
    for (const column of wanted) {
      if (column !== undefined && !columns.has(column)) {
        throw new ConnectError('INVALID_CONFIG', `SQLite table ${table} has no column ${column}`);
      }
    }
  }

  /** The next table with new rows, round robin, so one busy table does not starve the others. */
  async poll(): Promise<SourceRecord[]> {
    for (let tried = 0; tried < this.cursors.length; tried++) {
      const cursor = this.cursors[this.next]!;
      this.next = (this.next + 1) % this.cursors.length;
      const rows = await readTableBatch(
        (query) => this.run(query.sql, query.params),
        cursor.query,
        this.options,
        cursor.position,
      );
      if (rows.length === 0) continue;
      cursor.position = cursor.query.positionOf(rows[rows.length - 1]!);
      return rowsToRecords(rows, { ...cursor, keyColumns: this.options.keyColumns });
    }
    return [];
  }

  private async run(sql: string, params: readonly (string | number)[]): Promise<Row[]> {
    const database = this.database;
    if (database === undefined) throw new ExternalSystemError('SQLite source not started');
    try {
      return database.prepare(sql).all(...params) as Row[];
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      throw new ExternalSystemError(`SQLite query failed: ${String(error)}`, {
        retriable: busy,
        cause: error,
      });
    }
  }

  async stop(): Promise<void> {
    this.database?.close();
    this.database = undefined;
  }
}
