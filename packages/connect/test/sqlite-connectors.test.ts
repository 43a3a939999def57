import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  ConfigReader,
  ConnectError,
  RecordError,
  type SourceRecord,
  sqliteSink,
  sqliteSource,
} from '../src/index.ts';
import { sinkRecord, taskContext } from './helpers/task-context.ts';

function tempDatabase(t: { teardown(fn: () => void): void }): {
  path: string;
  db: Database.Database;
} {
  const dir = mkdtempSync(join(tmpdir(), 'connect-sqlite-'));
  const path = join(dir, 'test.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  t.teardown(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, db };
}

function source(raw: Record<string, unknown>) {
  const options = sqliteSource.parseConfig(new ConfigReader(raw, 'test'));
  return sqliteSource.createTask(options, taskContext());
}

const signal = new AbortController().signal;

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

test('incrementing mode: new rows in id order, in batches, resumable from a position', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, big INTEGER)');
  const insert = db.prepare('INSERT INTO orders (item, big) VALUES (?, ?)');
  for (let i = 1; i <= 25; i++) insert.run(`item-${i}`, 2n ** 60n + BigInt(i));
  const task = source({ database: path, table: 'orders', incrementingColumn: 'id', batchRows: 10 });
  await task.start(new Map());
  const first = await task.poll(signal);
  t.is(first.length, 10);
  t.deepEqual(first[0], {
    sourcePartition: 'table:orders',
    position: { id: 1 },
    key: { id: 1 },
    value: { id: 1, item: 'item-1', big: '1152921504606846977' },
    headers: { 'connect.table': 'orders' },
  });
  const rest = await drain(task);
  t.deepEqual(
    rest.map((r) => r.value as { id: number }).map((v) => v.id),
    Array.from({ length: 15 }, (_, i) => i + 11),
  );
  await task.stop();
  const resumed = source({ database: path, table: 'orders', incrementingColumn: 'id' });
  await resumed.start(new Map([['table:orders', { id: 20 }]]));
  t.deepEqual(
    (await drain(resumed)).map((r) => r.position),
    [21, 22, 23, 24, 25].map((id) => ({ id })),
  );
  await resumed.stop();
});

test('timestamp+incrementing mode: updates reappear; equal timestamps are ordered by id across batches', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, updated_at INTEGER)');
  const insert = db.prepare('INSERT INTO users (id, name, updated_at) VALUES (?, ?, ?)');
  for (let id = 1; id <= 5; id++) insert.run(id, `u${id}`, 100);
  const task = source({
    database: path,
    table: 'users',
    incrementingColumn: 'id',
    timestampColumn: 'updated_at',
    batchRows: 2,
  });
  await task.start(new Map());
  t.deepEqual(
    (await drain(task)).map((r) => r.position),
    [1, 2, 3, 4, 5].map((id) => ({ id, ts: 100 })),
  );
  db.prepare('UPDATE users SET name = ?, updated_at = ? WHERE id = ?').run('renamed', 200, 3);
  const updates = await drain(task);
  t.deepEqual(
    updates.map((r) => r.value),
    [{ id: 3, name: 'renamed', updated_at: 200 }],
  );
  await task.stop();
});

test('timestamp mode: a batch never ends inside a run of equal timestamps', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec('CREATE TABLE events (name TEXT, at TEXT)');
  const insert = db.prepare('INSERT INTO events VALUES (?, ?)');
  const timestamps = ['2024-01-01', '2024-01-02', '2024-01-02', '2024-01-02', '2024-01-03'];
  for (const [i, at] of timestamps.entries()) insert.run(`e${i}`, at);
  const task = source({ database: path, table: 'events', timestampColumn: 'at', batchRows: 2 });
  await task.start(new Map());
  const batches: string[][] = [];
  for (;;) {
    const batch = await task.poll(signal);
    if (batch.length === 0) break;
    batches.push(batch.map((r) => (r.value as { name: string }).name));
  }
  t.deepEqual(batches, [['e0'], ['e1', 'e2', 'e3'], ['e4']]);
  await task.stop();
});

test('every row is produced once whatever the batch size and resume points (property)', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, ts INTEGER)');
  const insert = db.prepare('INSERT INTO items (id, ts) VALUES (?, ?)');
  const rows = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, ts: Math.floor(i / 3) }));
  for (const row of rows) insert.run(row.id, row.ts);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 40 }),
      async (batchRows, stopAfter) => {
        const config = {
          database: path,
          table: 'items',
          incrementingColumn: 'id',
          timestampColumn: 'ts',
          batchRows,
        };
        const seen: number[] = [];
        let task = source(config);
        await task.start(new Map());
        let position: unknown;
        for (;;) {
          const batch = await task.poll(signal);
          if (batch.length === 0) break;
          for (const record of batch) seen.push((record.value as { id: number }).id);
          position = batch[batch.length - 1]!.position;
          if (seen.length >= stopAfter && stopAfter > 0) {
            await task.stop();
            task = source(config);
            await task.start(new Map([['table:items', position as never]]));
            stopAfter = 0;
          }
        }
        await task.stop();
        return JSON.stringify(seen) === JSON.stringify(rows.map((r) => r.id));
      },
    ),
    { numRuns: 25 },
  );
  t.pass();
});

test('a missing table or column fails the task start with a clear message', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec('CREATE TABLE present (id INTEGER)');
  const missingTable = source({ database: path, table: 'absent', incrementingColumn: 'id' });
  await t.throwsAsync(missingTable.start(new Map()), {
    instanceOf: ConnectError,
    message: /does not exist/,
  });
  const missingColumn = source({ database: path, table: 'present', incrementingColumn: 'nope' });
  await t.throwsAsync(missingColumn.start(new Map()), { message: /has no column nope/ });
});

function sink(raw: Record<string, unknown>) {
  return sqliteSink.createTask(
    sqliteSink.parseConfig(new ConfigReader(raw, 'test')),
    taskContext(),
  );
}

test('sink: upserts by key, deletes on tombstones, writing twice gives the same rows', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec(
    'CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT, balance REAL, tags TEXT, vip INTEGER)',
  );
  const task = sink({ database: path, table: 'accounts', keyColumns: ['id'] });
  await task.start();
  const batch = [
    sinkRecord({ id: 1 }, { owner: 'ada', balance: 10.5, tags: ['a'], vip: true }),
    sinkRecord({ id: 2 }, { owner: 'bob', balance: 3 }),
    sinkRecord(3, { owner: 'cy', balance: 1 }),
    sinkRecord({ id: 1 }, { balance: 11 }),
    sinkRecord({ id: 2 }, null),
  ];
  await task.put(batch);
  await task.put(batch);
  t.deepEqual(db.prepare('SELECT * FROM accounts ORDER BY id').all(), [
    { id: 1, owner: 'ada', balance: 11, tags: '["a"]', vip: 1 },
    { id: 3, owner: 'cy', balance: 1, tags: null, vip: null },
  ]);
  await task.stop();
});

test('sink: a record the table cannot take is a RecordError; the batch is not half written', async (t) => {
  const { path, db } = tempDatabase(t);
  db.exec('CREATE TABLE strict (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const task = sink({ database: path, table: 'strict', keyColumns: ['id'] });
  await task.start();
  await t.throwsAsync(
    task.put([sinkRecord({ id: 1 }, { name: 'ok' }), sinkRecord({ id: 2 }, { name: null })]),
    { instanceOf: RecordError },
  );
  await t.throwsAsync(task.put([sinkRecord({ id: 3 }, { name: 'x', extra: 1 })]), {
    instanceOf: RecordError,
    message: /no column extra/,
  });
  await t.throwsAsync(task.put([sinkRecord(null, { name: 'no key' })]), {
    instanceOf: RecordError,
  });
  await t.throwsAsync(task.put([sinkRecord({ id: 4 }, 'not an object')]), {
    instanceOf: RecordError,
  });
  t.deepEqual(db.prepare('SELECT count(*) AS n FROM strict').get(), { n: 0 });
  await task.stop();
});

test('sink: autoCreate makes the table from the first record; ignoreUnknownFields drops extras', async (t) => {
  const { path, db } = tempDatabase(t);
  const task = sink({
    database: path,
    table: 'made',
    keyColumns: ['k'],
    autoCreate: true,
    ignoreUnknownFields: true,
  });
  await task.start();
  await task.put([sinkRecord('a', { n: 1, r: 1.5, s: 'x', j: { deep: true } })]);
  await task.put([sinkRecord('a', { n: 2, unknown: 'dropped' })]);
  t.deepEqual(db.prepare('SELECT * FROM made').all(), [
    { k: 'a', n: 2, r: 1.5, s: 'x', j: '{"deep":true}' },
  ]);
  await task.stop();
  const missing = sink({ database: path, table: 'other', keyColumns: ['k'] });
  await t.throwsAsync(missing.start(), { message: /does not exist/ });
});
