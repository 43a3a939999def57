/**
 * PostgresSink: upserts records into a PostgreSQL table by key (INSERT ... ON CONFLICT DO
 * UPDATE) and deletes the key's row on a tombstone; a batch is one transaction. Within a
 * batch the operations on one key are first folded into their net effect (later fields
 * win, a delete starts afresh), so one statement touches each row once.
 * Options: `connection` (a connection string, required) plus the SQL sink options
 * (`connectors/sql/sink-options.ts`). The table needs a primary key or unique index on the
 * key columns (`autoCreate` makes one).
 */
import type { SinkConnectorPlugin, SinkTask } from '../../connector.ts';
import { ConnectError } from '../../errors.ts';
import type { SinkRecord } from '../../records.ts';
import { quoteIdentifier, quoteQualified } from '../sql/identifiers.ts';
import { readSqlSinkOptions, type SqlSinkOptions } from '../sql/sink-options.ts';
import { type ColumnKind, columnKindOf, fitToColumns, operationOf } from '../sql/sink-rows.ts';
import {
  classifyPostgresError,
  connectPostgres,
  type PostgresConnection,
} from './pg-connection.ts';

export interface PostgresSinkOptions extends SqlSinkOptions {
  readonly connection: string;
}

export const postgresSink: SinkConnectorPlugin<PostgresSinkOptions> = {
  kind: 'sink',
  className: 'PostgresSink',
  description: 'upserts records into a PostgreSQL table by key, deletes on tombstones',
  parseConfig(reader) {
    return { connection: reader.requiredString('connection'), ...readSqlSinkOptions(reader) };
  },
  taskConfigs(options, tasksMax) {
    return Array.from({ length: tasksMax }, () => options);
  },
  createTask(options) {
    return new PostgresSinkTask(options);
  },
};

const postgresTypes: Record<ColumnKind, string> = {
  integer: 'bigint',
  real: 'double precision',
  text: 'text',
  boolean: 'boolean',
  bytes: 'bytea',
  json: 'jsonb',
};

/** Parameters per statement stay under PostgreSQL's 65 535. */
const parametersPerStatementMax = 60_000;

/** The net effect of a batch on one key. */
interface KeyEffect {
  readonly key: readonly unknown[];
  deleteFirst: boolean;
  fields: Map<string, unknown> | undefined;
}

class PostgresSinkTask implements SinkTask {
  private connection: PostgresConnection | undefined;
  /** Column name → type as PostgreSQL formats it (for casting parameters). */
  private columns: Map<string, string> | undefined;

  constructor(private readonly options: PostgresSinkOptions) {}

  async start(): Promise<void> {
    this.connection = await connectPostgres(this.options.connection);
    this.columns = await this.readColumns();
    if (this.columns === undefined && !this.options.autoCreate) {
      throw new ConnectError(
        'INVALID_CONFIG',
        `PostgreSQL table ${this.options.table} does not exist (set autoCreate to create it)`,
      );
    }
  }

  private async readColumns(): Promise<Map<string, string> | undefined> {
    const result = await this.connection!.client.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [quoteQualified(this.options.table)],
    );
    if (result.rows.length === 0) return undefined;
    return new Map(result.rows.map((row: { name: string; type: string }) => [row.name, row.type]));
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    if (this.connection === undefined || this.connection.broken()) {
      await this.connection?.client.end().catch(() => {});
      this.connection = await connectPostgres(this.options.connection);
    }
    const effects = this.fold(records);
    if (effects.length === 0) return;
    const client = this.connection.client;
    try {
      await client.query('BEGIN');
      if (this.columns === undefined) await this.createTable(effects);
      await this.deleteKeys(effects.filter((e) => e.deleteFirst).map((e) => e.key));
      await this.upsert(effects.filter((e) => e.fields !== undefined));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      this.columns = await this.readColumns().catch(() => this.columns);
      if (error instanceof ConnectError) throw error;
      throw classifyPostgresError(error, `writing ${this.options.table}`);
    }
  }

  /** Folds the batch into one effect per key, in order: a delete drops earlier fields. */
  private fold(records: readonly SinkRecord[]): KeyEffect[] {
    const effects = new Map<string, KeyEffect>();
    for (const record of records) {
      const operation = operationOf(record, this.options);
      if (operation.kind === 'skip') continue;
      const id = JSON.stringify(operation.key);
      let effect = effects.get(id);
      if (effect === undefined) {
        effect = { key: operation.key, deleteFirst: false, fields: undefined };
        effects.set(id, effect);
      }
      if (operation.kind === 'delete') {
        effect.deleteFirst = true;
        effect.fields = undefined;
      } else {
        const fields =
          this.columns === undefined
            ? operation.fields
            : fitToColumns(operation.fields, new Set(this.columns.keys()), this.options);
        effect.fields = new Map([...(effect.fields ?? []), ...fields]);
      }
    }
    return [...effects.values()];
  }

  private async deleteKeys(keys: readonly (readonly unknown[])[]): Promise<void> {
    if (keys.length === 0 || this.columns === undefined) return;
    const keyColumns = this.options.keyColumns;
    const perStatement = Math.floor(parametersPerStatementMax / keyColumns.length);
    for (let start = 0; start < keys.length; start += perStatement) {
      const chunk = keys.slice(start, start + perStatement);
      const params: unknown[] = [];
      const tuples = chunk.map(
        (key) =>
          `(${key.map((value, i) => this.parameter(params, keyColumns[i]!, value)).join(', ')})`,
      );
      const target = `(${keyColumns.map(quoteIdentifier).join(', ')})`;
      await this.connection!.client.query(
        `DELETE FROM ${quoteQualified(this.options.table)} WHERE ${target} IN (${tuples.join(', ')})`,
        params,
      );
    }
  }

  /** One multi-row INSERT ... ON CONFLICT per column set (and per parameter limit). */
  private async upsert(effects: readonly KeyEffect[]): Promise<void> {
    const byColumns = new Map<string, KeyEffect[]>();
    for (const effect of effects) {
      const signature = JSON.stringify([...effect.fields!.keys()].sort());
      byColumns.set(signature, [...(byColumns.get(signature) ?? []), effect]);
    }
    for (const [signature, group] of byColumns) {
      const names = JSON.parse(signature) as string[];
      const perStatement = Math.max(1, Math.floor(parametersPerStatementMax / names.length));
      for (let start = 0; start < group.length; start += perStatement) {
        await this.upsertRows(names, group.slice(start, start + perStatement));
      }
    }
  }

  private async upsertRows(names: readonly string[], effects: readonly KeyEffect[]): Promise<void> {
    const params: unknown[] = [];
    const rows = effects.map(
      (effect) =>
        `(${names.map((name) => this.parameter(params, name, effect.fields!.get(name))).join(', ')})`,
    );
    const keys = this.options.keyColumns;
    const updates = names
      .filter((name) => !keys.includes(name))
      .map((name) => `${quoteIdentifier(name)} = EXCLUDED.${quoteIdentifier(name)}`);
    const onConflict = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
    await this.connection!.client.query(
      `INSERT INTO ${quoteQualified(this.options.table)} (${names.map(quoteIdentifier).join(', ')}) VALUES ${rows.join(', ')} ` +
        `ON CONFLICT (${keys.map(quoteIdentifier).join(', ')}) ${onConflict}`,
      params,
    );
  }

  /** Adds a parameter cast to its column's type, converting the value as that type needs. */
  private parameter(params: unknown[], column: string, value: unknown): string {
    const type = this.columns?.get(column) ?? 'text';
    params.push(postgresValue(value, type));
    return `$${params.length}::${type}`;
  }

  private async createTable(effects: readonly KeyEffect[]): Promise<void> {
    const sample = new Map<string, unknown>();
    for (const effect of effects)
      for (const [name, value] of effect.fields ?? [])
        if (!sample.has(name) || sample.get(name) === null) sample.set(name, value);
    const first = effects[0]!;
    this.options.keyColumns.forEach((column, index) => {
      sample.set(column, first.key[index]);
    });
    const columns = [...sample].map(
      ([name, value]) => `${quoteIdentifier(name)} ${postgresTypes[columnKindOf(value)]}`,
    );
    const primaryKey = `PRIMARY KEY (${this.options.keyColumns.map(quoteIdentifier).join(', ')})`;
    await this.connection!.client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteQualified(this.options.table)} (${[...columns, primaryKey].join(', ')})`,
    );
    this.columns = await this.readColumns();
  }

  async stop(): Promise<void> {
    await this.connection?.client.end().catch(() => {});
    this.connection = undefined;
  }
}

function postgresValue(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (type === 'json' || type === 'jsonb') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array || value instanceof Date || Array.isArray(value)) return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}
