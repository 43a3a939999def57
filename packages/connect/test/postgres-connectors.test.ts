/**
 * PostgreSQL source and sink against a real, throwaway server (skipped, saying so, only
 * where no PostgreSQL binaries are installed; CI installs them).
 */
import test from 'ava';
import pg from 'pg';
import {
  ConfigReader,
  postgresSink,
  postgresSource,
  RecordError,
  type SourceRecord,
} from '../src/index.ts';
import {
  findPostgresBinaries,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../src/internal.ts';
import { sinkRecord, taskContext } from './helpers/task-context.ts';

const available = findPostgresBinaries() !== undefined;
const pgTest = available ? test.serial : test.skip;
if (!available)
  console.log(
    'postgres-connectors: no PostgreSQL binaries found (install the postgresql package); skipping',
  );

let server: ThrowawayPostgres | undefined;
let admin: pg.Client;

test.before(async () => {
  if (!available) return;
  server = await startThrowawayPostgres();
  admin = new pg.Client({ connectionString: server.connectionString });
  await admin.connect();
});

test.after.always(async () => {
  await admin?.end().catch(() => {});
  await server?.stop();
});

const signal = new AbortController().signal;

function source(raw: Record<string, unknown>) {
  const options = postgresSource.parseConfig(
    new ConfigReader({ connection: server!.connectionString, ...raw }, 'test'),
  );
  return postgresSource.createTask(options, taskContext());
}

async function drain(task: {
  poll(s: AbortSignal): Promise<SourceRecord[]>;
}): Promise<SourceRecord[]> {
  const all: SourceRecord[] = [];
  for (;;) {
    const batch = await task.poll(signal);
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

pgTest(
  'source: inserted and updated rows, timestamps kept to the microsecond in positions',
  async (t) => {
    await admin.query(
      `CREATE TABLE products (id bigserial PRIMARY KEY, name text, price numeric, updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    await admin.query(
      `INSERT INTO products (name, price) SELECT 'p' || g, g * 1.5 FROM generate_series(1, 30) g`,
    );
    const task = source({
      table: 'products',
      incrementingColumn: 'id',
      timestampColumn: 'updated_at',
      batchRows: 7,
    });
    await task.start(new Map());
    const inserted = await drain(task);
    t.deepEqual(
      inserted.map((r) => (r.value as { id: number }).id),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    t.deepEqual(inserted[0]!.key, { id: 1 });
    t.regex(String((inserted[0]!.position as { ts: string }).ts), /\.\d{6}\+00$|\.\d+\+\d\d$/);
    await admin.query(
      `UPDATE products SET name = 'renamed', updated_at = clock_timestamp() WHERE id IN (3, 17)`,
    );
    const updated = await drain(task);
    t.deepEqual(
      updated.map((r) => [(r.value as { id: number }).id, (r.value as { name: string }).name]),
      [
        [3, 'renamed'],
        [17, 'renamed'],
      ],
    );
    await task.stop();
  },
);

pgTest('source: a row whose transaction commits late is not skipped', async (t) => {
  await admin.query('CREATE TABLE late (id serial PRIMARY KEY, note text)');
  const slow = new pg.Client({ connectionString: server!.connectionString });
  await slow.connect();
  t.teardown(() => slow.end());
  const task = source({ table: 'late', incrementingColumn: 'id' });
  await task.start(new Map());
  await slow.query('BEGIN');
  await slow.query(`INSERT INTO late (note) VALUES ('first id, committed last')`);
  await admin.query(`INSERT INTO late (note) VALUES ('second id, committed first')`);
  t.deepEqual(await drain(task), [], 'nothing past the open transaction');
  await slow.query('COMMIT');
  const records = await drain(task);
  t.deepEqual(
    records.map((r) => (r.value as { id: number }).id),
    [1, 2],
  );
  await task.stop();
});

pgTest('source: resuming from a stored position reads only what came after', async (t) => {
  await admin.query('CREATE TABLE resume (id serial PRIMARY KEY)');
  await admin.query('INSERT INTO resume SELECT FROM generate_series(1, 10)');
  const task = source({ table: 'resume', incrementingColumn: 'id' });
  await task.start(new Map([['table:resume', { id: 6 }]]));
  t.deepEqual(
    (await drain(task)).map((r) => r.position),
    [7, 8, 9, 10].map((id) => ({ id })),
  );
  await task.stop();
  const missing = source({ table: 'nowhere', incrementingColumn: 'id' });
  await t.throwsAsync(missing.start(new Map()), { message: /does not exist/ });
  await missing.stop();
});

function sink(raw: Record<string, unknown>) {
  const options = postgresSink.parseConfig(
    new ConfigReader({ connection: server!.connectionString, ...raw }, 'test'),
  );
  return postgresSink.createTask(options, taskContext());
}

pgTest('sink: upsert by key and delete on tombstone, folded per batch, idempotent', async (t) => {
  await admin.query(
    'CREATE TABLE accounts (id bigint PRIMARY KEY, owner text, balance double precision, meta jsonb)',
  );
  const task = sink({ table: 'accounts', keyColumns: ['id'] });
  await task.start();
  const batch = [
    sinkRecord({ id: 1 }, { owner: 'ada', balance: 10 }),
    sinkRecord({ id: 1 }, { balance: 12, meta: { tier: 'gold' } }),
    sinkRecord({ id: 2 }, { owner: 'bob', balance: 1 }),
    sinkRecord({ id: 2 }, null),
    sinkRecord({ id: 3 }, null),
    sinkRecord({ id: 3 }, { owner: 'cy' }),
  ];
  await task.put(batch);
  await task.put(batch);
  const { rows } = await admin.query('SELECT * FROM accounts ORDER BY id');
  t.deepEqual(rows, [
    { id: '1', owner: 'ada', balance: 12, meta: { tier: 'gold' } },
    { id: '3', owner: 'cy', balance: null, meta: null },
  ]);
  await task.stop();
});

pgTest(
  'sink: a refused row is a RecordError and nothing of its batch is written; autoCreate',
  async (t) => {
    await admin.query(
      'CREATE TABLE strict (id int PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0))',
    );
    const task = sink({ table: 'strict', keyColumns: ['id'] });
    await task.start();
    await t.throwsAsync(
      task.put([sinkRecord({ id: 1 }, { qty: 1 }), sinkRecord({ id: 2 }, { qty: -1 })]),
      { instanceOf: RecordError },
    );
    await t.throwsAsync(task.put([sinkRecord({ id: 3 }, { qty: 'many' })]), {
      instanceOf: RecordError,
    });
    t.is((await admin.query('SELECT count(*)::int AS n FROM strict')).rows[0].n, 0);
    await task.stop();
    const created = sink({ table: 'made', keyColumns: ['k'], autoCreate: true });
    await created.start();
    await created.put([sinkRecord('a', { n: 1, j: { x: [1] }, ok: true })]);
    t.deepEqual((await admin.query('SELECT * FROM made')).rows, [
      { k: 'a', n: '1', j: { x: [1] }, ok: true },
    ]);
    await created.stop();
  },
);
