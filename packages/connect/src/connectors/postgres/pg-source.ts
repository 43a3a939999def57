/**
 * PostgresSource: reads new (and, with a timestamp column, updated) rows of PostgreSQL
 * tables. Options: `connection` (a connection string, required) plus the SQL source
 * options (`connectors/sql/source-options.ts`). Records: key = the key columns as an object,
 * value = the row as an object (timestamps as ISO strings, bigint as a number when exact),
 * header `connect.table`.
 *
 * Each poll reads in one REPEATABLE READ transaction and only up to a bound that no
 * transaction still open can fall below (`visibility-fence.ts`), so rows that commit out of
 * order are not skipped. Positions keep the timestamp as PostgreSQL's text (microseconds).
 */
import type { SourceConnectorPlugin, SourceTask } from '../../connector.ts';
import { ConnectError, ExternalSystemError } from '../../errors.ts';
import type { JsonValue, SourceRecord } from '../../records.ts';
import { quoteQualified } from '../sql/identifiers.ts';
import {
  type BuiltQuery,
  type Dialect,
  IncrementalQuery,
  readSqlPosition,
  type SqlPosition,
} from '../sql/incremental-query.ts';
import { readSqlSourceOptions, type SqlSourceOptions, splitTables } from '../sql/source-options.ts';
import { type Row, readTableBatch, rowsToRecords } from '../sql/table-batch.ts';
import {
  classifyPostgresError,
  connectPostgres,
  type PostgresConnection,
} from './pg-connection.ts';
import { parseSnapshot, VisibilityFence } from './visibility-fence.ts';

export interface PostgresSourceOptions extends SqlSourceOptions {
  readonly connection: string;
}

export const postgresDialect: Dialect = {
  placeholder: (index) => `$${index}`,
  timestampSelect: (column) => `${column}::text`,
};

export const postgresSource: SourceConnectorPlugin<PostgresSourceOptions> = {
  kind: 'source',
  className: 'PostgresSource',
  description:
    'reads new and updated rows of PostgreSQL tables (incrementing id and/or updated-at column)',
  parseConfig(reader) {
    return { connection: reader.requiredString('connection'), ...readSqlSourceOptions(reader) };
  },
  taskConfigs: splitTables,
  createTask(options) {
    return new PostgresSourceTask(options);
  },
};

interface TableCursor {
  readonly table: string;
  readonly sourcePartition: string;
  readonly query: IncrementalQuery;
  readonly fence: VisibilityFence<SqlPosition>;
  position: SqlPosition | undefined;
}

class PostgresSourceTask implements SourceTask {
  readonly sourcePartitions: readonly string[];
  private connection: PostgresConnection | undefined;
  private cursors: TableCursor[] = [];
  private next = 0;

  constructor(private readonly options: PostgresSourceOptions) {
    this.sourcePartitions = options.tables.map((table) => `table:${table}`);
  }

  async start(positions: ReadonlyMap<string, JsonValue>): Promise<void> {
    this.connection = await connectPostgres(this.options.connection);
    this.cursors = [];
    for (const table of this.options.tables) {
      await this.checkColumns(table);
      const sourcePartition = `table:${table}`;
      this.cursors.push({
        table,
        sourcePartition,
        query: new IncrementalQuery(table, this.options, postgresDialect),
        fence: new VisibilityFence(),
        position: readSqlPosition(positions.get(sourcePartition), this.options),
      });
    }
  }

  private async checkColumns(table: string): Promise<void> {
    let columns: Set<string>;
    try {
      const result = await this.connection!.client.query(
        `SELECT * FROM ${quoteQualified(table)} LIMIT 0`,
      );
      columns = new Set(result.fields.map((field) => field.name));
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') {
        throw new ConnectError('INVALID_CONFIG', `PostgreSQL table ${table} does not exist`);
      }
      throw classifyPostgresError(error, `reading table ${table}`);
    }
    for (const column of [
      this.options.incrementingColumn,
      this.options.timestampColumn,
      ...this.options.keyColumns,
    ]) {
      if (column !== undefined && !columns.has(column)) {
        throw new ConnectError(
          'INVALID_CONFIG',
          `PostgreSQL table ${table} has no column ${column}`,
        );
      }
    }
  }

  async poll(): Promise<SourceRecord[]> {
    if (this.connection === undefined || this.connection.broken()) {
      throw new ExternalSystemError('the PostgreSQL connection was lost', { retriable: true });
    }
    for (let tried = 0; tried < this.cursors.length; tried++) {
      const cursor = this.cursors[this.next]!;
      this.next = (this.next + 1) % this.cursors.length;
      const rows = await this.readCursor(cursor);
      if (rows.length === 0) continue;
      cursor.position = cursor.query.positionOf(rows[rows.length - 1]!);
      return rowsToRecords(rows, { ...cursor, keyColumns: this.options.keyColumns });
    }
    return [];
  }

  /** One snapshot: what is in progress, the last row visible, and the rows up to the final bound. */
  private async readCursor(cursor: TableCursor): Promise<Row[]> {
    const client = this.connection!.client;
    const run = async (query: BuiltQuery) =>
      (await client.query(query.sql, query.params)).rows as Row[];
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snapshot = parseSnapshot(
        (await client.query('SELECT pg_current_snapshot()::text AS s')).rows[0].s,
      );
      const [last] = await run(cursor.query.lastRow());
      const bound = cursor.fence.observe(
        snapshot,
        last === undefined ? undefined : cursor.query.positionOf(last),
      );
      const rows =
        bound === undefined
          ? []
          : await readTableBatch(run, cursor.query, this.options, cursor.position, bound);
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      if (error instanceof ConnectError) throw error;
      throw classifyPostgresError(error, `reading ${cursor.table}`);
    }
  }

  async stop(): Promise<void> {
    await this.connection?.client.end().catch(() => {});
    this.connection = undefined;
  }
}
