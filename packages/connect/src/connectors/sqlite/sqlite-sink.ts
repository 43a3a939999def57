/**
 * SqliteSink: upserts each record into a SQLite table by key and deletes the key's row on
 * a tombstone; a batch is one transaction, so a crash leaves all of it or none, and
 * writing a record again gives the same row (idempotent by key).
 * Options: `database` (file path, created if missing) plus the SQL sink options
 * (`connectors/sql/sink-options.ts`). The table needs a primary key or unique index on
 * the key columns (`autoCreate` makes one).
 */
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { SinkConnectorPlugin, SinkTask } from '../../connector.ts';
import { ConnectError, ExternalSystemError, RecordError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { SinkRecord } from '../../records.ts';
import { quoteIdentifier, quoteQualified } from '../sql/identifiers.ts';
import { readSqlSinkOptions, type SqlSinkOptions } from '../sql/sink-options.ts';
import {
  type ColumnKind,
  columnKindOf,
  fitToColumns,
  operationOf,
  type RowOperation,
} from '../sql/sink-rows.ts';

export interface SqliteSinkOptions extends SqlSinkOptions {
  readonly database: string;
}

export const sqliteSink: SinkConnectorPlugin<SqliteSinkOptions> = {
  kind: 'sink',
  className: 'SqliteSink',
  description: 'upserts records into a SQLite table by key, deletes on tombstones',
  parseConfig(reader) {
    return { database: resolve(reader.requiredString('database')), ...readSqlSinkOptions(reader) };
  },
  taskConfigs(options, tasksMax) {
    // SQLite has one writer at a time: more tasks would only wait for each other's locks.
    return Array.from({ length: Math.min(tasksMax, 1) }, () => options);
  },
  createTask(options) {
    return new SqliteSinkTask(options);
  },
};

const sqliteTypes: Record<ColumnKind, string> = {
  integer: 'INTEGER',
  real: 'REAL',
  text: 'TEXT',
  boolean: 'INTEGER',
  bytes: 'BLOB',
  json: 'TEXT',
};

/** A value as SQLite can bind it. */
function bindable(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array || typeof value !== 'object') return value;
  return JSON.stringify(value);
}

class SqliteSinkTask implements SinkTask {
  private database: Database.Database | undefined;
  private columns: Set<string> | undefined;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly options: SqliteSinkOptions) {}

  async start(): Promise<void> {
    try {
      this.database = new Database(this.options.database, { timeout: 10_000 });
      this.database.pragma('journal_mode = WAL');
    } catch (error) {
      throw new ExternalSystemError(`cannot open SQLite database ${this.options.database}`, {
        cause: error,
      });
    }
    this.columns = this.readColumns();
    if (this.columns === undefined && !this.options.autoCreate) {
      throw new ConnectError(
        'INVALID_CONFIG',
        `SQLite table ${this.options.table} does not exist (set autoCreate to create it)`,
      );
    }
  }

  private readColumns(): Set<string> | undefined {
    const rows = this.database!.prepare(`SELECT name FROM pragma_table_info(?)`).all(
      this.options.table,
    ) as { name: string }[];
    return rows.length === 0 ? undefined : new Set(rows.map((row) => row.name));
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    const database = this.database;
    if (database === undefined) throw new ExternalSystemError('SQLite sink not started');
    const operations = records.map((record) => operationOf(record, this.options));
    try {
      database.transaction(() => {
        for (const operation of operations) this.apply(operation);
      })();
    } catch (error) {
      // A table created in the rolled-back transaction is gone again.
      this.columns = this.readColumns();
      this.statements.clear();
      if (error instanceof ConnectError) throw error;
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_IOERR' || code === 'SQLITE_FULL') {
        throw new ExternalSystemError(`SQLite write failed: ${String(error)}`, { cause: error });
      }
      // Constraint violations, type mismatches: the data's fault, not the database's.
      throw new RecordError('RECORD_REJECTED', `SQLite refused the row: ${String(error)}`, error);
    }
  }

  private apply(operation: RowOperation): void {
    if (operation.kind === 'skip') return;
    if (operation.kind === 'delete') {
      if (this.columns === undefined) return; // nothing written yet, nothing to delete
      this.statement(`delete`, () => this.deleteSql()).run(...operation.key.map(bindable));
      return;
    }
    if (this.columns === undefined) this.createTable(operation.fields);
    const fields = fitToColumns(operation.fields, this.columns!, this.options);
    const names = [...fields.keys()];
    const statement = this.statement(`upsert:${JSON.stringify(names)}`, () =>
      this.upsertSql(names),
    );
    statement.run(...names.map((name) => bindable(fields.get(name))));
  }

  private statement(signature: string, sql: () => string): Database.Statement {
    let statement = this.statements.get(signature);
    if (statement === undefined) {
      if (this.statements.size >= limits.sqlStatementCacheMax) this.statements.clear();
      statement = this.database!.prepare(sql());
      this.statements.set(signature, statement);
    }
    return statement;
  }

  private upsertSql(names: readonly string[]): string {
    const keys = this.options.keyColumns;
    const updates = names
      .filter((name) => !keys.includes(name))
      .map((name) => `${quoteIdentifier(name)} = excluded.${quoteIdentifier(name)}`);
    const onConflict = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
    return (
      `INSERT INTO ${quoteQualified(this.options.table)} (${names.map(quoteIdentifier).join(', ')}) ` +
      `VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT (${keys.map(quoteIdentifier).join(', ')}) ${onConflict}`
    );
  }

  private deleteSql(): string {
    const where = this.options.keyColumns
      .map((column) => `${quoteIdentifier(column)} = ?`)
      .join(' AND ');
    return `DELETE FROM ${quoteQualified(this.options.table)} WHERE ${where}`;
  }

  private createTable(fields: ReadonlyMap<string, unknown>): void {
    const columns = [...fields].map(
      ([name, value]) => `${quoteIdentifier(name)} ${sqliteTypes[columnKindOf(value)]}`,
    );
    const primaryKey = `PRIMARY KEY (${this.options.keyColumns.map(quoteIdentifier).join(', ')})`;
    this.database!.exec(
      `CREATE TABLE IF NOT EXISTS ${quoteQualified(this.options.table)} (${[...columns, primaryKey].join(', ')})`,
    );
    this.columns = this.readColumns();
    this.statements.clear();
  }

  async stop(): Promise<void> {
    this.statements.clear();
    this.database?.close();
    this.database = undefined;
  }
}
