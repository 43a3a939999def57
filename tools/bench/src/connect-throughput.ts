/**
 * Connect throughput, end to end on a real cluster and a throwaway PostgreSQL server:
 *
 * 1. PostgreSQL → topic: a table of `--rows` rows is filled first (not timed); then a
 *    standalone connect worker (in this process, started before the clock) is given a
 *    PostgresSource (incrementing id, `--batch-rows` rows per poll), and the clock runs from
 *    its creation (task start and offset recovery included) until the topic holds every row.
 * 2. topic → SQLite: a SqliteSink is created on the same worker, reading that topic into a
 *    new SQLite table (upsert by id, one transaction per fetched batch, WAL); the clock runs
 *    from its creation (group join included) until the table holds every row.
 *
 *   npx tsx tools/bench/src/connect-throughput.ts [--rows 200000] [--batch-rows 5000]
 *     [--partitions 3] [--nodes 3] [--bootstrap h:p,...]
 *
 * Prints one line per phase: rows, seconds, rows/s, and the 1-minute load average.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, parseWorkerConfig, startConnectWorker } from '@tributary/connect';
import { startThrowawayPostgres } from '@tributary/connect/internal';
import Database from 'better-sqlite3';
import pg from 'pg';
import { benchArgs, numberArg, usageFailure } from './args.ts';
import { benchCluster, createTopic } from './client-bench-cluster.ts';

const values = benchArgs({
  rows: { type: 'string', default: '200000' },
  'batch-rows': { type: 'string', default: '5000' },
  partitions: { type: 'string', default: '3' },
  nodes: { type: 'string', default: '3' },
  bootstrap: { type: 'string' },
});
const rows = numberArg(values, 'rows');
const batchRows = numberArg(values, 'batch-rows');
const partitions = numberArg(values, 'partitions');
const nodes = numberArg(values, 'nodes');
if (!Number.isSafeInteger(rows) || rows < 1) usageFailure('--rows must be a positive integer');
const run = `connect-${Date.now()}`;
const topic = `${run}-rows`;

async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30 * 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function report(phase: string, startedMs: number): void {
  const seconds = (Date.now() - startedMs) / 1000;
  console.log(
    `${phase}: ${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s (load average ${loadavg()[0]!.toFixed(2)})`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-connect-'));
  const cluster = await benchCluster({
    nodes,
    ...(values.bootstrap === undefined ? {} : { bootstrap: values.bootstrap }),
  });
  const postgres = await startThrowawayPostgres();
  const database = new pg.Client({ connectionString: postgres.connectionString });
  const client = cluster.client('bench-connect');
  const admin = client.admin();
  let worker: Awaited<ReturnType<typeof startConnectWorker>> | undefined;
  try {
    await database.connect();
    await database.query(`CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL,
      amount integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await database.query(
      `INSERT INTO orders (customer, amount)
       SELECT 'customer-' || (g % 1000), g % 997 FROM generate_series(1, $1) g`,
      [rows],
    );
    await database.query('VACUUM ANALYZE orders');
    await createTopic(client, topic, partitions, Math.min(3, nodes));
    await admin.connect();
    const topicCount = async () =>
      (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high - o.low), 0);
    console.log(
      `connect-throughput: ${rows} rows, batchRows ${batchRows}, ${partitions} partitions, ${nodes} nodes`,
    );

    worker = await startConnectWorker(
      parseWorkerConfig({ brokers: cluster.bootstrap, restPort: 0, topicPrefix: run }),
      { log: createLogger('warn') },
    );
    const sourceStarted = Date.now();
    await worker.herder.create({
      name: `${run}-source`,
      class: 'PostgresSource',
      connection: postgres.connectionString,
      table: 'orders',
      incrementingColumn: 'id',
      topic,
      batchRows,
      pollIntervalMs: 100,
    });
    await until('every row in the topic', async () => (await topicCount()) >= rows);
    report('PostgreSQL → topic', sourceStarted);

    const sqlitePath = join(dir, 'orders.db');
    const sqlite = new Database(sqlitePath);
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL,
      amount INTEGER NOT NULL, created_at TEXT NOT NULL)`);
    const sqliteCount = () =>
      (sqlite.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n;
    const sinkStarted = Date.now();
    await worker.herder.create({
      name: `${run}-sink`,
      class: 'SqliteSink',
      topics: [topic],
      database: sqlitePath,
      table: 'orders',
      keyColumns: ['id'],
    });
    await until('every row in SQLite', () => sqliteCount() >= rows);
    report('topic → SQLite', sinkStarted);
    sqlite.close();
  } finally {
    await worker?.close().catch(() => {});
    await admin.disconnect().catch(() => {});
    await database.end().catch(() => {});
    await postgres.stop();
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`connect-throughput failed: ${String(error)}`);
    process.exit(1);
  },
);
