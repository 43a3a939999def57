/**
 * The query a SQL source repeats: rows after the last position, in (timestamp, id) order.
 * One builder for both dialects; they differ in placeholders and in how the timestamp is
 * selected for the position (PostgreSQL reads it as text, keeping microseconds).
 *
 *   incrementing            WHERE id > :id                             ORDER BY id
 *   timestamp               WHERE ts > :ts                             ORDER BY ts
 *   timestamp+incrementing  WHERE ts > :ts OR (ts = :ts AND id > :id)  ORDER BY ts, id
 *
 * A bound (PostgreSQL's visibility fence) adds the mirror condition "at or before :bound".
 */
import { isPlainObject } from '../../config/config-reader.ts';
import { ConnectError } from '../../errors.ts';
import type { JsonValue } from '../../records.ts';
import { quoteIdentifier, quoteQualified } from './identifiers.ts';
import type { SqlSourceOptions } from './source-options.ts';

/** Where a table's reading stands: the ordering columns of the last row produced. */
export interface SqlPosition {
  readonly id?: string | number;
  readonly ts?: string | number;
}

export const timestampAlias = '__connect_ts';

export interface Dialect {
  placeholder(index: number): string;
  /** The select-list expression giving the timestamp column as it goes into positions. */
  timestampSelect(column: string): string;
}

export interface BuiltQuery {
  readonly sql: string;
  readonly params: (string | number)[];
}

type Ordering = Pick<SqlSourceOptions, 'mode' | 'incrementingColumn' | 'timestampColumn'>;

export class IncrementalQuery {
  constructor(
    private readonly table: string,
    private readonly ordering: Ordering,
    private readonly dialect: Dialect,
  ) {}

  private get id(): string {
    return quoteIdentifier(this.ordering.incrementingColumn ?? '');
  }

  private get ts(): string {
    return quoteIdentifier(this.ordering.timestampColumn ?? '');
  }

  private select(): string {
    const extra =
      this.ordering.timestampColumn === undefined
        ? ''
        : `, ${this.dialect.timestampSelect(this.ts)} AS ${quoteIdentifier(timestampAlias)}`;
    return `SELECT *${extra} FROM ${quoteQualified(this.table)}`;
  }

  orderBy(direction: 'ASC' | 'DESC' = 'ASC'): string {
    switch (this.ordering.mode) {
      case 'incrementing':
        return `ORDER BY ${this.id} ${direction}`;
      case 'timestamp':
        return `ORDER BY ${this.ts} ${direction}`;
      case 'timestamp+incrementing':
        return `ORDER BY ${this.ts} ${direction}, ${this.id} ${direction}`;
    }
  }

  /** `after`: rows strictly after it (undefined: from the start); `bound`: rows at or before it. */
  rowsAfter(
    after: SqlPosition | undefined,
    bound: SqlPosition | undefined,
    limit: number,
  ): BuiltQuery {
    const params: (string | number)[] = [];
    const conditions = [this.notNull()];
    if (after !== undefined) conditions.push(this.compare(after, '>', params));
    if (bound !== undefined) conditions.push(`NOT (${this.compare(bound, '>', params)})`);
    params.push(limit);
    const limitSql = `LIMIT ${this.dialect.placeholder(params.length)}`;
    return {
      sql: `${this.select()} WHERE ${conditions.join(' AND ')} ${this.orderBy()} ${limitSql}`,
      params,
    };
  }

  /** Every row sharing one timestamp (timestamp mode, when a batch ends inside a run of equal ones). */
  rowsAt(ts: string | number): BuiltQuery {
    const sql = `${this.select()} WHERE ${this.ts} = ${this.dialect.placeholder(1)} ${this.orderBy()}`;
    return { sql, params: [ts] };
  }

  /** The last row in order: a bound of what is visible now. */
  lastRow(): BuiltQuery {
    return {
      sql: `${this.select()} WHERE ${this.notNull()} ${this.orderBy('DESC')} LIMIT 1`,
      params: [],
    };
  }

  private notNull(): string {
    const columns = [];
    if (this.ordering.incrementingColumn !== undefined) columns.push(`${this.id} IS NOT NULL`);
    if (this.ordering.timestampColumn !== undefined) columns.push(`${this.ts} IS NOT NULL`);
    return columns.join(' AND ');
  }

  /** "(ts, id) op position" in the mode's ordering; only `>` is needed. */
  private compare(position: SqlPosition, op: '>', params: (string | number)[]): string {
    const p = (value: string | number) => {
      params.push(value);
      return this.dialect.placeholder(params.length);
    };
    switch (this.ordering.mode) {
      case 'incrementing':
        return `${this.id} ${op} ${p(required(position.id, 'id'))}`;
      case 'timestamp':
        return `${this.ts} ${op} ${p(required(position.ts, 'ts'))}`;
      case 'timestamp+incrementing': {
        const ts = required(position.ts, 'ts');
        return `(${this.ts} ${op} ${p(ts)} OR (${this.ts} = ${p(ts)} AND ${this.id} ${op} ${p(required(position.id, 'id'))}))`;
      }
    }
  }

  /** The position after a row (read from the ordering columns). */
  positionOf(row: Readonly<Record<string, unknown>>): SqlPosition {
    const position: { id?: string | number; ts?: string | number } = {};
    if (this.ordering.incrementingColumn !== undefined) {
      position.id = orderingValue(row[this.ordering.incrementingColumn], 'incrementing column');
    }
    if (this.ordering.timestampColumn !== undefined) {
      position.ts = orderingValue(row[timestampAlias], 'timestamp column');
    }
    return position;
  }
}

function required(value: string | number | undefined, what: string): string | number {
  if (value === undefined) {
    throw new ConnectError('OFFSETS_UNREADABLE', `the stored position has no ${what}`);
  }
  return value;
}

function orderingValue(value: unknown, what: string): string | number {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  throw new ConnectError(
    'RECORD_REJECTED',
    `the ${what} holds ${typeof value}, not a number or text`,
  );
}

/** A stored position, checked: a JSON object with `id` and/or `ts` as numbers or text. */
export function readSqlPosition(
  stored: JsonValue | undefined,
  ordering: Ordering,
): SqlPosition | undefined {
  if (stored === undefined) return undefined;
  const ok = (v: unknown) => typeof v === 'number' || typeof v === 'string';
  if (
    !isPlainObject(stored) ||
    (ordering.incrementingColumn !== undefined && !ok(stored.id)) ||
    (ordering.timestampColumn !== undefined && !ok(stored.ts))
  ) {
    throw new ConnectError(
      'OFFSETS_UNREADABLE',
      `stored position ${JSON.stringify(stored)} does not fit mode ${ordering.mode}`,
    );
  }
  return stored as SqlPosition;
}
