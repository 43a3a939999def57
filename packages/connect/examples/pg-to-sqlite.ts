/**
 * The example of docs/connect.md: rows inserted and updated in a PostgreSQL table appear
 * in a topic (PostgresSource), a stream (@tributary/streams) transforms them into a second
 * topic, and a sink (SqliteSink) writes them into a SQLite table, upserting by key.
 *
 *   PostgreSQL customers ──PostgresSource──▶ <prefix>-customers
 *        ──streams: name capitalised, email masked to its domain──▶ <prefix>-customers-clean
 *        ──SqliteSink (upsert by id)──▶ SQLite customers
 *
 * Run it against a cluster and a PostgreSQL server (a throwaway one if none is given):
 *
 *   npx tsx packages/connect/examples/pg-to-sqlite.ts --brokers 127.0.0.1:9092 \
 *     [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--sqlite /tmp/customers.db]
 *
 * It creates the table and topics, starts the pipeline, inserts three customers, updates
 * one, waits until SQLite holds the result, prints it, and stops. `runExample` is the same
 * thing as a function; the test `test/e2e/example.test.ts` runs it on a real cluster.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, silentLogger } from '@tributary/client';
import { createLogger, parseWorkerConfig, startConnectWorker } from '@tributary/connect';
import { startThrowawayPostgres } from '@tributary/connect/internal';
import { Serdes, Streams, StreamsBuilder } from '@tributary/streams';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface ExampleOptions {
  readonly brokers: readonly string[];
  readonly postgres: string;
  readonly sqlitePath: string;
  /** Prefix of the topics, the connect internal topics and the streams application id. */
  readonly prefix?: string;
  readonly log?: (line: string) => void;
}

export interface CustomerRow {
  readonly id: number;
  readonly name: string;
  readonly email_domain: string;
  readonly version: number;
}

interface RawCustomer {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly version: number;
}

/** The stream's transformation: what reaches SQLite for each PostgreSQL row. */
export function cleanCustomer(row: RawCustomer): CustomerRow {
  return {
    id: row.id,
    name: row.name.replace(/\b\w/g, (c) => c.toUpperCase()),
    email_domain: row.email.slice(row.email.indexOf('@') + 1),
    version: row.version,
  };
}

/** Runs the whole pipeline once and returns the SQLite table's rows, ordered by id. */
export async function runExample(options: ExampleOptions): Promise<CustomerRow[]> {
  const prefix = options.prefix ?? 'example';
  const log = options.log ?? ((line: string) => console.log(line));
  const raw = `${prefix}-customers`;
  const clean = `${prefix}-customers-clean`;
  const client = new Client({
    clientId: prefix,
    brokers: [...options.brokers],
    logger: silentLogger,
  });
  const admin = client.admin();
  await admin.connect();
  const database = new pg.Client({ connectionString: options.postgres });
  await database.connect();
  let worker: Awaited<ReturnType<typeof startConnectWorker>> | undefined;
  let streams: Streams | undefined;
  try {
    // 1. The source table, and the two topics (3 partitions, keyed by customer id).
    await database.query(`CREATE TABLE IF NOT EXISTS customers (
      id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await admin.createTopics({
      topics: [raw, clean].map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });

    // 2. A connect worker (standalone, in this process) with the source and the sink.
    worker = await startConnectWorker(
      parseWorkerConfig({
        brokers: options.brokers,
        restPort: 0,
        topicPrefix: `${prefix}-connect`,
        connectors: [
          {
            name: `${prefix}-pg-customers`,
            class: 'PostgresSource',
            connection: options.postgres,
            table: 'customers',
            timestampColumn: 'updated_at',
            incrementingColumn: 'id',
            keyColumns: ['id'],
            topic: raw,
            pollIntervalMs: 200,
          },
          {
            name: `${prefix}-sqlite-customers`,
            class: 'SqliteSink',
            topics: [clean],
            database: options.sqlitePath,
            table: 'customers',
            keyColumns: ['id'],
            autoCreate: true,
          },
        ],
      }),
      { log: createLogger('warn') },
    );
    log(`connect worker up, REST API at ${worker.restUrl}`);

    // 3. The stream: raw rows in, cleaned rows out, same key.
    const builder = new StreamsBuilder();
    builder
      .stream<unknown, RawCustomer>(raw, { keySerde: Serdes.json(), valueSerde: Serdes.json() })
      .mapValues((row) => cleanCustomer(row))
      .to(clean, { keySerde: Serdes.json(), valueSerde: Serdes.json() });
    streams = new Streams(builder.build(), {
      applicationId: `${prefix}-cleaner`,
      client,
      commitIntervalMs: 200,
    });
    await streams.start();
    log('streams application up');

    // 4. Rows inserted, then one updated (a new version with a later updated_at).
    await database.query(`INSERT INTO customers (name, email) VALUES
      ('ada lovelace', 'ada@analytical.example'),
      ('alan turing', 'alan@bletchley.example'),
      ('grace hopper', 'grace@navy.example')`);
    await database.query(`UPDATE customers
      SET email = 'ada@engine.example', version = version + 1, updated_at = clock_timestamp()
      WHERE name = 'ada lovelace'`);
    const expected = (await database.query('SELECT * FROM customers ORDER BY id')).rows.map(
      (row: RawCustomer) => cleanCustomer(row),
    );
    log(`PostgreSQL holds ${expected.length} customers; waiting for SQLite`);

    // 5. Wait (bounded) until SQLite holds the same rows.
    const rows = await waitForRows(options.sqlitePath, expected, 180_000);
    for (const row of rows) log(`SQLite: ${JSON.stringify(row)}`);
    return rows;
  } finally {
    await streams?.close().catch(() => {});
    await worker?.close().catch(() => {});
    await admin.disconnect().catch(() => {});
    await database.end().catch(() => {});
  }
}

async function waitForRows(
  path: string,
  expected: readonly CustomerRow[],
  timeoutMs: number,
): Promise<CustomerRow[]> {
  const deadline = Date.now() + timeoutMs;
  let last: CustomerRow[] = [];
  while (Date.now() < deadline) {
    last = readRows(path);
    if (JSON.stringify(last) === JSON.stringify(expected)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `SQLite did not reach the expected rows in ${timeoutMs} ms; it holds ${JSON.stringify(last)}`,
  );
}

function readRows(path: string): CustomerRow[] {
  let database: Database.Database | undefined;
  try {
    database = new Database(path, { readonly: true, fileMustExist: true });
    return database
      .prepare('SELECT id, name, email_domain, version FROM customers ORDER BY id')
      .all() as CustomerRow[];
  } catch {
    return []; // the sink has not created the file or the table yet
  } finally {
    database?.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      postgres: { type: 'string' },
      sqlite: { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  if (values.brokers === undefined) {
    console.error(
      'usage: tsx packages/connect/examples/pg-to-sqlite.ts --brokers host:port[,host:port] [--postgres URL] [--sqlite PATH] [--prefix NAME]',
    );
    process.exit(2);
  }
  const throwaway = values.postgres === undefined ? await startThrowawayPostgres() : undefined;
  try {
    await runExample({
      brokers: values.brokers.split(','),
      postgres: values.postgres ?? throwaway!.connectionString,
      sqlitePath:
        values.sqlite ?? join(mkdtempSync(join(tmpdir(), 'connect-example-')), 'customers.db'),
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    });
  } finally {
    await throwaway?.stop();
  }
}

if (process.argv[1]?.endsWith('pg-to-sqlite.ts')) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`example failed: ${String(error)}`);
      process.exit(1);
    },
  );
}
