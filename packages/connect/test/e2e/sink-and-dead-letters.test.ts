/**
 * On a real cluster, with workers run through the worker CLI as child processes:
 * - a SQLite sink SIGKILLed while records keep arriving, started again: every record is
 *   written (at least once; the table ends holding each key's latest value);
 * - bad records (not JSON, not a row, a field the table lacks; a source row a transform
 *   cannot route) go to the dead-letter topic with headers saying why, and the records
 *   after them flow on.
 */
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import { headerNames } from '../../src/index.ts';
import {
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

function workerConfig(prefix: string, connectors: unknown[]) {
  return {
    brokers: cluster.brokers,
    restPort: 0,
    topicPrefix: prefix,
    offsetsTopicPartitions: 1,
    logLevel: 'info',
    connectors,
  };
}

const keys = 4_000;

test.serial('SQLite sink: killed while writing, every record ends up written', async (t) => {
  t.timeout(900_000);
  const topic = 'sink-in';
  await cluster.createTopic(topic, 3);
  const path = join(cluster.dir, 'sink.db');
  const database = new Database(path, { timeout: 10_000 });
  database.pragma('journal_mode = WAL');
  database.exec(`
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL);
    CREATE TABLE writes (count INTEGER NOT NULL);
    INSERT INTO writes VALUES (0);
    CREATE TRIGGER items_inserted AFTER INSERT ON items BEGIN UPDATE writes SET count = count + 1; END;
    CREATE TRIGGER items_updated AFTER UPDATE ON items BEGIN UPDATE writes SET count = count + 1; END;
  `);
  let produced = 0;
  const produceRecords = async (count: number) => {
    const messages = Array.from({ length: count }, (_, i) => {
      const n = produced + i;
      const id = (n % keys) + 1;
      const version = Math.floor(n / keys) + 1;
      return {
        key: JSON.stringify({ id }),
        value: JSON.stringify({ id, name: `item-${id}-v${version}`, version }),
      };
    });
    await cluster.produce(topic, messages);
    produced += count;
  };
  await produceRecords(2 * keys);
  const config = workerConfig('sink-restart', [
    {
      name: 'sqlite-sink',
      class: 'SqliteSink',
      topics: [topic],
      database: path,
      table: 'items',
      keyColumns: ['id'],
    },
  ]);
  const rowCount = () =>
    (database.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n;
  const writes = () =>
    (database.prepare('SELECT count FROM writes').get() as { count: number }).count;
  let worker: WorkerProcess | undefined;
  try {
    for (const killAtWrites of [1_500, 10_000]) {
      worker = await spawnWorker(cluster.dir, 'sink-worker', config);
      let producing = true;
      const background = (async () => {
        while (producing) {
          await produceRecords(200);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await until(`${killAtWrites} writes into the table`, () => writes() >= killAtWrites);
      await worker.kill();
      producing = false;
      await background;
      t.log(`killed the sink after ${writes()} writes; ${rowCount()} rows; ${produced} records`);
    }
    await produceRecords(keys); // one more version of every key while no worker runs
    worker = await spawnWorker(cluster.dir, 'sink-worker', config);
    const latest = (id: number) => {
      // Record n carries id n % keys + 1 and version ⌊n / keys⌋ + 1: the last one of each id.
      const n = produced - 1 - ((produced - id + keys) % keys);
      return Math.floor(n / keys) + 1;
    };
    const stale = () =>
      (
        database.prepare('SELECT id, version FROM items').all() as { id: number; version: number }[]
      ).filter((row) => row.version !== latest(row.id)).length;
    await until('the table holding every key at its latest version', () => {
      return rowCount() === keys && stale() === 0;
    });
    const rows = database.prepare('SELECT id, name, version FROM items ORDER BY id').all() as {
      id: number;
      name: string;
      version: number;
    }[];
    t.is(rows.length, keys);
    const wrong = rows.filter(
      (row) => row.version !== latest(row.id) || row.name !== `item-${row.id}-v${row.version}`,
    );
    t.deepEqual(wrong.slice(0, 10), [], 'every row holds its key’s latest record');
    t.true(writes() >= produced, 'every record was written at least once');
    t.log(`${produced} records, ${writes()} writes (at least once: rewrites after the kills)`);
  } finally {
    await worker?.stop();
    database.close();
  }
});

test.serial(
  'sink: bad records go to the dead-letter topic with why, and the rest flow on',
  async (t) => {
    t.timeout(600_000);
    const topic = 'dlq-sink-in';
    const deadLetters = 'dlq-sink';
    await cluster.createTopic(topic, 1);
    const path = join(cluster.dir, 'dlq-sink.db');
    const database = new Database(path, { timeout: 10_000 });
    database.pragma('journal_mode = WAL');
    database.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    const good = (id: number) => ({
      key: JSON.stringify({ id }),
      value: JSON.stringify({ id, name: `n${id}` }),
    });
    await cluster.produce(topic, [
      good(1),
      good(2),
      { key: JSON.stringify({ id: 3 }), value: 'this is not JSON' },
      good(4),
      { key: JSON.stringify({ id: 5 }), value: '42' },
      { key: JSON.stringify({ id: 6 }), value: JSON.stringify({ id: 6, colour: 'red' }) },
      good(7),
    ]);
    const worker = await spawnWorker(
      cluster.dir,
      'dlq-sink-worker',
      workerConfig('dlq-sink', [
        {
          name: 'dlq-sink',
          class: 'SqliteSink',
          topics: topic,
          database: path,
          table: 'items',
          keyColumns: ['id'],
          errorTolerance: 'all',
          deadLetterTopic: deadLetters,
        },
      ]),
    );
    try {
      const ids = () =>
        (database.prepare('SELECT id FROM items ORDER BY id').all() as { id: number }[]).map(
          (row) => row.id,
        );
      await until('the good records in the table', () => ids().length >= 4);
      t.deepEqual(ids(), [1, 2, 4, 7]);
      await until('three dead letters', async () => (await cluster.count(deadLetters)) >= 3);
      const letters = await cluster.readAll(deadLetters);
      const header = (m: (typeof letters)[number], name: string) => {
        const value = m.headers[name];
        return (Array.isArray(value) ? value[0] : value)?.toString('utf8');
      };
      t.deepEqual(
        letters.map((m) => [
          m.value?.toString('utf8'),
          header(m, headerNames.errorStage),
          header(m, headerNames.errorCode),
          header(m, headerNames.errorTopic),
          header(m, headerNames.errorOffset),
        ]),
        [
          ['this is not JSON', 'convert', 'CONVERSION_FAILED', topic, '2'],
          ['42', 'write', 'RECORD_REJECTED', topic, '4'],
          [JSON.stringify({ id: 6, colour: 'red' }), 'write', 'RECORD_REJECTED', topic, '5'],
        ],
      );
      // Records after the bad ones keep flowing, and the task never failed.
      await cluster.produce(topic, [good(8)]);
      await until('a later record in the table', () => ids().includes(8));
      const status = await statusOf(worker.restUrl, 'dlq-sink');
      t.deepEqual(
        status.tasks.map((task) => task.state),
        ['RUNNING'],
      );
    } finally {
      await worker.stop();
      database.close();
    }
  },
);

test.serial(
  'source: a row a transform cannot route goes to the dead-letter topic; the rest flow on',
  async (t) => {
    t.timeout(600_000);
    const deadLetters = 'dlq-source';
    await cluster.createTopic('orders-eu', 1);
    await cluster.createTopic('orders-us', 1);
    const path = join(cluster.dir, 'dlq-source.db');
    const database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, region TEXT)');
    const insert = database.prepare('INSERT INTO orders (id, region) VALUES (?, ?)');
    for (const [id, region] of [
      [1, 'eu'],
      [2, null],
      [3, 'us'],
      [4, 'no such/topic'],
      [5, 'eu'],
    ] as const)
      insert.run(id, region);
    const worker = await spawnWorker(
      cluster.dir,
      'dlq-source-worker',
      workerConfig('dlq-source', [
        {
          name: 'dlq-source',
          class: 'SqliteSource',
          database: path,
          table: 'orders',
          incrementingColumn: 'id',
          topic: 'orders-eu',
          pollIntervalMs: 50,
          transforms: [{ type: 'routeByField', field: 'region', topicFormat: 'orders-{value}' }],
          errorTolerance: 'all',
          deadLetterTopic: deadLetters,
        },
      ]),
    );
    try {
      await until('two dead letters', async () => (await cluster.count(deadLetters)) >= 2);
      await until('the routed rows', async () => {
        return (await cluster.count('orders-eu')) >= 2 && (await cluster.count('orders-us')) >= 1;
      });
      const ids = async (topic: string) =>
        (await cluster.readAll(topic)).map(
          (m) => (JSON.parse(m.value!.toString('utf8')) as { id: number }).id,
        );
      t.deepEqual(await ids('orders-eu'), [1, 5]);
      t.deepEqual(await ids('orders-us'), [3]);
      const letters = await cluster.readAll(deadLetters);
      t.deepEqual(
        letters.map((m) => {
          const stage = m.headers[headerNames.errorStage];
          return [
            JSON.parse(m.value!.toString('utf8')),
            (Array.isArray(stage) ? stage[0] : stage)?.toString(),
          ];
        }),
        [
          [{ id: 2, region: null }, 'transform'],
          [{ id: 4, region: 'no such/topic' }, 'transform'],
        ],
      );
      insert.run(6, 'us');
      await until('a later row routed', async () => (await cluster.count('orders-us')) >= 2);
      t.deepEqual(await ids('orders-us'), [3, 6]);
    } finally {
      await worker.stop();
      database.close();
    }
  },
);
