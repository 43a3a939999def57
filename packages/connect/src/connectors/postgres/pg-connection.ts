/**
 * Opening a PostgreSQL connection for a connector: `bigint` columns come back as numbers
 * when they fit in one exactly (text otherwise), a lost connection is reported instead of
 * crashing the process, and PostgreSQL's error classes are sorted into "retry later" and
 * "the data's fault".
 */
import pg from 'pg';
import { ExternalSystemError, RecordError } from '../../errors.ts';

const int8Oid = 20;

function parseInt8(text: string): number | string {
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : text;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === int8Oid && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

export interface PostgresConnection {
  readonly client: pg.Client;
  /** Set once the connection failed: open a new one. */
  readonly broken: () => boolean;
}

export async function connectPostgres(connectionString: string): Promise<PostgresConnection> {
  const client = new pg.Client({ connectionString, types } as pg.ClientConfig);
  let broken = false;
  // Without a listener a dropped connection's 'error' event would end the process.
  client.on('error', () => {
    broken = true;
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new ExternalSystemError(`cannot connect to PostgreSQL: ${String(error)}`, {
      cause: error,
    });
  }
  return { client, broken: () => broken };
}

/** SQLSTATE classes whose errors come from the data written (the record goes to the dead-letter topic). */
const dataErrorClasses = new Set(['22', '23']);
/** Classes worth retrying: connection, resources, operator intervention, serialization/deadlock. */
const retriableClasses = new Set(['08', '53', '57', '40', '58']);

export function classifyPostgresError(error: unknown, doing: string): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.length === 5) {
    const errorClass = code.slice(0, 2);
    if (dataErrorClasses.has(errorClass)) {
      return new RecordError(
        'RECORD_REJECTED',
        `PostgreSQL refused the row (${code}): ${String(error)}`,
        error,
      );
    }
    return new ExternalSystemError(`${doing} failed (${code}): ${String(error)}`, {
      retriable: retriableClasses.has(errorClass),
      cause: error,
    });
  }
  // Node's socket errors (ECONNREFUSED, ECONNRESET...) and pg's own "Connection terminated".
  return new ExternalSystemError(`${doing} failed: ${String(error)}`, {
    retriable: true,
    cause: error,
  });
}
