/**
 * Distributed mode on a real cluster: three workers (worker CLI child processes) share the
 * tasks of a 6-task SQLite source and a SQLite sink through the task-slots group; the
 * worker running the most tasks is SIGKILLed while rows keep coming; its tasks move to
 * the two others, every row reaches the topic exactly once and the sink's table in full.
 */
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import { createLogger } from '../../src/index.ts';
import { ConfigLog } from '../../src/internal.ts';
import {
  rest,
  type StatusBody,
  spawnWorker,
  startTestCluster,
  statusOf,
  type TestCluster,
  until,
  type WorkerProcess,
} from './helpers.ts';

let cluster: TestCluster;

test.before(async () => {
  cluster = await startTestCluster(3);
});

test.after.always(async () => {
  await cluster?.close();
});

test.serial(
  'three workers starting at once on fresh internal topics all read every configuration (regression)',
  async (t) => {
    t.timeout(600_000);
    // Before the fix, a follower started while another worker created the topic was left
    // without a position in 3 rounds of 4: the write below was never read back by it.
    for (let round = 0; round < 3; round++) {
      const topic = `fresh-configs-${round}`;
      const workers = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const client = cluster.client(`config-log-${round}-${i}`);
          const admin = client.admin();
          await admin.connect();
          const producer = client.producer({ lingerMs: 0 });
          await producer.connect();
          const configs = new ConfigLog(client, admin, producer, topic, createLogger('warn'));
          await configs.start({ catchUp: true });
          return { configs, admin, producer };
        }),
      );
      try {
        await workers[round]!.configs.write('c', {
          config: { class: 'FileSource' },
          target: 'RUNNING',
          restarts: 0,
        });
        await until('every worker reading the configuration', () =>
          workers.every((w) => w.configs.get('c') !== undefined),
        );
        t.pass();
      } finally {
        for (const w of workers) {
          await w.configs.stop();
          await w.producer.disconnect().catch(() => {});
          await w.admin.disconnect().catch(() => {});
        }
      }
    }
  },
);

test.serial(
  'the config log skips an unreadable record, applies tombstones and reports changes',
  async (t) => {
    const client = cluster.client('config-log-bad-input');
    const admin = client.admin();
    await admin.connect();
    const producer = client.producer({ lingerMs: 0 });
    await producer.connect();
    const configs = new ConfigLog(client, admin, producer, 'bad-configs', createLogger('error'));
    t.teardown(async () => {
      await configs.stop();
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    });
    await configs.start({ catchUp: true });
    let changes = 0;
    configs.onChange(() => changes++);
    const stored = { config: { class: 'FileSource' }, target: 'RUNNING', restarts: 0 } as const;
    await configs.write('kept', stored);
    // Written around the log: not JSON, a wrong version, a record without a key.
    await producer.send({
      topic: 'bad-configs',
      messages: [
        { key: 'kept', value: 'not json', partition: 0 },
        { key: 'kept', value: JSON.stringify({ v: 99, ...stored }), partition: 0 },
        { key: null, value: 'no key', partition: 0 },
      ],
    });
    await configs.write('gone', stored);
    t.deepEqual(configs.get('kept'), stored, 'the unreadable records left the row as it was');
    await configs.write('gone', null);
    t.is(configs.get('gone'), undefined);
    t.deepEqual([...configs.all().keys()], ['kept']);
    t.is(changes, 3, 'one change per applied write, none for the skipped records');
  },
);

const tables = ['t0', 't1', 't2', 't3', 't4', 't5'];
const rowsPerTable = 1_500;

function allRunning(status: StatusBody, expectedTasks: number): boolean {
  return (
    status.tasks.length === expectedTasks && status.tasks.every((task) => task.state === 'RUNNING')
  );
}

test.serial('a worker dies: its tasks move to the others and all data arrives', async (t) => {
  t.timeout(900_000);
  const source = new Database(join(cluster.dir, 'dist-source.db'));
  source.pragma('journal_mode = WAL');
  for (const table of tables)
    source.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)`);
  let inserted = 0;
  // Each row's v is unique across the tables: the sink keys by it.
  const insertRows = source.transaction((count: number) => {
    for (const table of tables) {
      const insert = source.prepare(`INSERT INTO ${table} (v) VALUES (?)`);
      for (let i = 0; i < count; i++) insert.run(`${table}-${inserted++}`);
    }
  });
  insertRows(rowsPerTable);
  const sinkPath = join(cluster.dir, 'dist-sink.db');
  const sink = new Database(sinkPath, { timeout: 10_000 });
  sink.pragma('journal_mode = WAL');
  sink.exec('CREATE TABLE rows (v TEXT PRIMARY KEY)');
  const topic = 'dist-rows';
  await cluster.createTopic(topic, 3);

  const config = {
    mode: 'distributed',
    brokers: cluster.brokers,
    restPort: 0,
    topicPrefix: 'dist',
    taskSlots: 6,
    sessionTimeoutMs: 8_000,
    logLevel: 'info',
  };
  const workers: WorkerProcess[] = await Promise.all(
    ['a', 'b', 'c'].map((name) => spawnWorker(cluster.dir, `dist-worker-${name}`, config)),
  );
  let inserting = true;
  let background: Promise<void> | undefined;
  try {
    const created = await rest(workers[0]!.restUrl, 'POST', '/connectors', {
      name: 'dist-source',
      class: 'SqliteSource',
      database: join(cluster.dir, 'dist-source.db'),
      tables,
      tasksMax: 6,
      incrementingColumn: 'id',
      topic,
      batchRows: 200,
      pollIntervalMs: 50,
      offsetFlushIntervalMs: 1_000,
    });
    t.is(created.status, 201, JSON.stringify(created.body));
    const sinkCreated = await rest(workers[1]!.restUrl, 'POST', '/connectors', {
      name: 'dist-sink',
      class: 'SqliteSink',
      topics: [topic],
      database: sinkPath,
      table: 'rows',
      keyColumns: ['v'],
      fields: ['v'],
    });
    t.is(sinkCreated.status, 201, JSON.stringify(sinkCreated.body));

    // Every worker learns both connectors, whichever worker created them (workers started
    // together on a fresh prefix once missed the configs topic being created: regression).
    await until('every worker listing both connectors', async () => {
      const lists = await Promise.all(workers.map((w) => rest(w.restUrl, 'GET', '/connectors')));
      return lists.every((l) => JSON.stringify(l.body) === '["dist-sink","dist-source"]');
    });
    // Any worker answers for the whole cluster once it has read the configs topic. The
    // first worker to join the slots group runs every task until the others have joined
    // and the cooperative rebalance has moved slots to them, so "all running" alone may
    // still be all on one worker (a CI run sampled exactly that): wait for the spread.
    let owners: string[] = [];
    await until('every task running, spread over the three workers', async () => {
      const [s, k] = await Promise.all([
        statusOf(workers[2]!.restUrl, 'dist-source').catch(() => undefined),
        statusOf(workers[2]!.restUrl, 'dist-sink').catch(() => undefined),
      ]);
      if (s === undefined || k === undefined || !allRunning(s, 6) || !allRunning(k, 1)) {
        return false;
      }
      owners = [...s.tasks, ...k.tasks].map((task) => task.workerId!);
      return workers.every((w) => owners.includes(w.workerId));
    });
    const tasksOf = (id: string) => owners.filter((owner) => owner === id).length;
    t.log('tasks per worker before the kill', workers.map((w) => tasksOf(w.workerId)).join(', '));

    background = (async () => {
      while (inserting) {
        insertRows(20);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await until('rows flowing', async () => (await cluster.count(topic)) >= inserted / 2);
    const victim = workers.reduce((most, w) =>
      tasksOf(w.workerId) > tasksOf(most.workerId) ? w : most,
    );
    const survivors = workers.filter((w) => w !== victim);
    await victim.kill();
    t.log(`killed ${victim.workerId}, running ${tasksOf(victim.workerId)} tasks`);

    await until('every task running on a surviving worker', async () => {
      const [s, k] = await Promise.all([
        statusOf(survivors[0]!.restUrl, 'dist-source'),
        statusOf(survivors[0]!.restUrl, 'dist-sink'),
      ]);
      return (
        allRunning(s, 6) &&
        allRunning(k, 1) &&
        [...s.tasks, ...k.tasks].every((task) => task.workerId !== victim.workerId)
      );
    });
    inserting = false;
    await background;
    await until(`the topic holding every row (${inserted})`, async () => {
      return (await cluster.count(topic)) >= inserted;
    });
    const sinkRows = () =>
      (sink.prepare('SELECT count(*) AS n FROM rows').get() as { n: number }).n;
    await until(`the sink holding every row (${inserted})`, () => sinkRows() >= inserted);
    await Promise.all(survivors.map((w) => w.stop()));

    const messages = await cluster.readAll(topic);
    const seen = new Map<string, number>();
    for (const m of messages) {
      const row = JSON.parse(m.value!.toString('utf8')) as { v: string };
      seen.set(row.v, (seen.get(row.v) ?? 0) + 1);
    }
    t.deepEqual([...seen].filter(([, n]) => n > 1).slice(0, 10), [], 'no row produced twice');
    t.is(seen.size, inserted, 'every row produced');
    t.is(messages.length, inserted);
    t.is(sinkRows(), inserted, 'every row written by the sink');
  } finally {
    inserting = false;
    await background;
    await Promise.all(workers.map((w) => w.stop()));
    source.close();
    sink.close();
  }
});
