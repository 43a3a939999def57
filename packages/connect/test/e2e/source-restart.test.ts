/**
 * A source worker (the worker CLI, a child process) SIGKILLed while it produces, and
 * started again, twice, while rows keep being inserted: every row of the table is in the
 * topic exactly once (docs/connect.md: source delivery is exactly once when the killed
 * worker's produce requests have settled before its successor reads the topic back,
 * which a process restart always gives). SQLite and PostgreSQL, on a real cluster.
 */
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  findPostgresBinaries,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../src/internal.ts';
import { spawnWorker, startTestCluster, type TestCluster, until } from './helpers.ts';

let cluster: TestCluster;

test.before(async () => {
  cluster = await startTestCluster(3);
});

test.after.always(async () => {
  await cluster?.close();
});

interface Table {
  /** Inserts `count` rows; resolves once they are committed. */
  insert(count: number): Promise<void>;
}

const initialRows = 12_000;
const rowsWhileDown = 3_000;
const rowsPerBackgroundInsert = 100;

/**
 * Starts a worker on `connector`, kills it once the topic has `killAt` records (rows are
 * inserted all along), twice, then lets a third run finish and stops it gracefully.
 * Returns the number of rows inserted.
 */
async function killAndRestart(
  t: { log(...values: unknown[]): void },
  table: Table,
  prefix: string,
  topic: string,
  connector: Record<string, unknown>,
): Promise<number> {
  let inserted = 0;
  await table.insert(initialRows);
  inserted += initialRows;
  const config = {
    brokers: cluster.brokers,
    restPort: 0,
    topicPrefix: prefix,
    offsetsTopicPartitions: 2,
    logLevel: 'info',
    connectors: [connector],
  };
  for (const killAt of [3_000, 9_000]) {
    const worker = await spawnWorker(cluster.dir, `${prefix}-worker`, config);
    let inserting = true;
    const background = (async () => {
      while (inserting) {
        await table.insert(rowsPerBackgroundInsert);
        inserted += rowsPerBackgroundInsert;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await until(`${topic} holding ${killAt} records`, async () => {
      return (await cluster.count(topic)) >= killAt;
    });
    await worker.kill();
    inserting = false;
    await background;
    t.log(`killed the worker at ${await cluster.count(topic)} records, ${inserted} rows`);
    await table.insert(rowsWhileDown);
    inserted += rowsWhileDown;
  }
  const last = await spawnWorker(cluster.dir, `${prefix}-worker`, config);
  await until(`${topic} holding every row (${inserted})`, async () => {
    return (await cluster.count(topic)) >= inserted;
  });
  await last.stop(); // graceful: whatever was in flight has settled when it exits
  return inserted;
}

/** Every id from 1 to `rows` exactly once in the topic (the record value is the row). */
async function checkExactlyOnce(
  t: {
    is(a: unknown, b: unknown, m?: string): void;
    deepEqual(a: unknown, b: unknown, m?: string): void;
  },
  topic: string,
  rows: number,
) {
  const messages = await cluster.readAll(topic);
  const seen = new Map<number, number>();
  for (const message of messages) {
    const row = JSON.parse(message.value!.toString('utf8')) as { id: number };
    seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
  }
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const missing: number[] = [];
  for (let id = 1; id <= rows; id++) if (!seen.has(id)) missing.push(id);
  t.deepEqual(duplicated.slice(0, 20), [], 'no row produced twice');
  t.deepEqual(missing.slice(0, 20), [], 'no row missing');
  t.is(messages.length, rows, 'one record per row');
}

test.serial('SQLite source: killed twice mid-stream, every row once in the topic', async (t) => {
  t.timeout(900_000);
  const path = join(cluster.dir, 'source.db');
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.exec('CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)');
  const insertOne = database.prepare('INSERT INTO items (name) VALUES (?)');
  const insertMany = database.transaction((count: number) => {
    for (let i = 0; i < count; i++) insertOne.run(`item-${Math.random().toString(36).slice(2)}`);
  });
  const topic = 'sqlite-items';
  await cluster.createTopic(topic, 3);
  try {
    const rows = await killAndRestart(
      t,
      { insert: async (count) => insertMany(count) },
      'sqlite-restart',
      topic,
      {
        name: 'sqlite-items',
        class: 'SqliteSource',
        database: path,
        table: 'items',
        incrementingColumn: 'id',
        topic,
        batchRows: 250,
        pollIntervalMs: 50,
        offsetFlushIntervalMs: 1_000,
      },
    );
    await checkExactlyOnce(t, topic, rows);
  } finally {
    database.close();
  }
});

const postgresAvailable = findPostgresBinaries() !== undefined;
if (!postgresAvailable)
  console.log(
    'source-restart: no PostgreSQL binaries found (install the postgresql package); skipping the PostgreSQL test',
  );

(postgresAvailable ? test.serial : test.skip)(
  'PostgreSQL source: killed twice mid-stream, every row once in the topic',
  async (t) => {
    t.timeout(900_000);
    let server: ThrowawayPostgres | undefined;
    let client: pg.Client | undefined;
    try {
      server = await startThrowawayPostgres();
      client = new pg.Client({ connectionString: server.connectionString });
      await client.connect();
      await client.query('CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)');
      const db = client;
      const topic = 'pg-items';
      await cluster.createTopic(topic, 3);
      const rows = await killAndRestart(
        t,
        {
          async insert(count) {
            await db.query(
              `INSERT INTO items (name) SELECT 'item-' || g FROM generate_series(1, $1) g`,
              [count],
            );
          },
        },
        'pg-restart',
        topic,
        {
          name: 'pg-items',
          class: 'PostgresSource',
          connection: server.connectionString,
          table: 'items',
          incrementingColumn: 'id',
          topic,
          batchRows: 250,
          pollIntervalMs: 50,
          offsetFlushIntervalMs: 1_000,
        },
      );
      await checkExactlyOnce(t, topic, rows);
    } finally {
      await client?.end().catch(() => {});
      await server?.stop();
    }
  },
);
