/**
 * The runnable example of docs/connect.md (`examples/pg-to-sqlite.ts`) on a real cluster
 * and a throwaway PostgreSQL server: rows inserted and updated in PostgreSQL reach SQLite
 * through a topic, a streams application and a sink (skipped, saying so, only where no
 * PostgreSQL server can be started).
 */
import { join } from 'node:path';
import test from 'ava';
import { runExample } from '../../examples/pg-to-sqlite.ts';
import {
  findPostgresBinaries,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../src/internal.ts';
import { startTestCluster, type TestCluster } from './helpers.ts';

const available = findPostgresBinaries() !== undefined;
if (!available)
  console.log('example: no PostgreSQL binaries found (install the postgresql package); skipping');

let cluster: TestCluster | undefined;
let postgres: ThrowawayPostgres | undefined;

test.before(async () => {
  if (!available) return;
  [cluster, postgres] = await Promise.all([startTestCluster(1), startThrowawayPostgres()]);
});

test.after.always(async () => {
  await postgres?.stop();
  await cluster?.close();
});

(available ? test : test.skip)(
  'PostgreSQL rows, inserted and updated, reach SQLite through a topic and a stream',
  async (t) => {
    t.timeout(600_000);
    const lines: string[] = [];
    const rows = await runExample({
      brokers: cluster!.brokers,
      postgres: postgres!.connectionString,
      sqlitePath: join(cluster!.dir, 'customers.db'),
      prefix: 'example',
      log: (line) => lines.push(line),
    });
    t.deepEqual(rows, [
      { id: 1, name: 'Ada Lovelace', email_domain: 'engine.example', version: 2 },
      { id: 2, name: 'Alan Turing', email_domain: 'bletchley.example', version: 1 },
      { id: 3, name: 'Grace Hopper', email_domain: 'navy.example', version: 1 },
    ]);
    // The update is a record of its own: Ada's last record in the source topic is version 2.
    const raw = await cluster!.readAll('example-customers');
    const versions = raw
      .map((m) => JSON.parse(m.value!.toString('utf8')) as { id: number; version: number })
      .filter((row) => row.id === 1)
      .map((row) => row.version);
    t.deepEqual(versions.slice(-1), [2]);
    t.true(lines.some((line) => line.startsWith('SQLite: ')));
  },
);
