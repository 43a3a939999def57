/**
 * The streams runtime against a real three-node cluster: each operator kind, window
 * boundaries and late records, the three joins, and instances killed and restarted (and a
 * second one added) mid-stream, with final aggregates equal to the same computation done
 * in memory. One cluster is shared; each scenario has its own topics and application id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, silentLogger } from '@tributary/client';
import test from 'ava';
import {
  CoPartitioningError,
  JoinWindows,
  Serdes,
  SessionWindows,
  SlidingWindows,
  Streams,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  type Topology,
  TopologyTestDriver,
  type Windowed,
  windowedSerde,
} from '../../src/index.ts';
import {
  distinctByOrigin,
  latestByKey,
  startTestCluster,
  type TestCluster,
  until,
} from './helpers.ts';

const s = Serdes.string();
const n = Serdes.number();
const ws = windowedSerde(s);
let cluster: TestCluster;
const running: Streams[] = [];

test.before(async () => {
  cluster = await startTestCluster(3);
});

test.after.always(async () => {
  for (const streams of running) await streams.close().catch(() => undefined);
  await cluster?.close();
});

/** The last log lines of each application started by `run`, shown when a wait times out. */
const logsOf = new Map<Streams, string[]>();
const logLinesKept = 200;

async function run(
  topology: Topology,
  applicationId: string,
  extra: { stateDir?: string } = {},
): Promise<Streams> {
  const lines: string[] = [];
  const keep = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields ?? {})}`);
    if (lines.length > logLinesKept) lines.shift();
  };
  const streams = new Streams(topology, {
    applicationId,
    client: cluster.client(applicationId),
    commitIntervalMs: 200,
    logger: { info: keep('info'), warn: keep('warn'), error: keep('error') },
    ...extra,
  });
  logsOf.set(streams, lines);
  running.push(streams);
  await streams.start();
  return streams;
}

/**
 * `until`, and when it times out, the application's state, error, counters and last log
 * lines in the failure: a wait that never ends says nothing of why by itself.
 */
async function untilProcessed(
  streams: Streams,
  what: string,
  condition: () => Promise<boolean>,
  explain: () => string | Promise<string> = () => '',
): Promise<void> {
  try {
    await until(what, condition);
  } catch (error) {
    const logs = logsOf.get(streams) ?? [];
    const explanation = await Promise.resolve()
      .then(explain)
      .catch((e: unknown) => `(explain failed: ${String(e)})`);
    throw new Error(
      `${(error as Error).message}; ${explanation}; streams state ${streams.state}, error ${String(streams.error)}, ` +
        `metrics ${JSON.stringify(streams.metrics)}, tasks ${streams.localTasks().join(' ')}\n` +
        logs.join('\n'),
      { cause: error },
    );
  }
}

const numberText = (b: Buffer) => String(n.deserialize(b));
const windowLabel = (b: Buffer) => {
  const w = ws.deserialize(b);
  return `${w.key}@${w.window.start}`;
};

test.serial('stateless operators and aggregations match the in-memory computation', async (t) => {
  t.timeout(300_000);
  const build = () => {
    const builder = new StreamsBuilder({
      defaultKeySerde: s as never,
      defaultValueSerde: s as never,
    });
    const events = builder.stream<string, string>('ops-in');
    const [small, large] = events
      .mapValues((v) => Number(v))
      .branch(
        (_k, v) => v < 50,
        () => true,
      );
    (small as never as ReturnType<typeof events.mapValues<number>>)
      .filter((_k, v) => v % 2 === 0)
      .map((k, v) => ({ key: `${k}-even`, value: v * 10 }))
      .merge(
        (large as never as ReturnType<typeof events.mapValues<number>>).selectKey(
          (k) => `${k}-large`,
        ),
      )
      .peek(() => undefined)
      .to('ops-out', { keySerde: s, valueSerde: n });
    events
      .flatMap((k, v) => [...v].map((digit) => ({ key: digit, value: k })))
      .groupByKey({ name: 'digits' })
      .count({ storeName: 'digit-counts' })
      .toStream()
      .to('ops-digits', { keySerde: s, valueSerde: n });
    events
      .toTable({ storeName: 'latest' })
      .groupBy((k, v) => ({ key: Number(v) % 3 === 0 ? 'fizz' : 'other', value: k }), {
        keySerde: s,
        valueSerde: s,
        name: 'fizz',
      })
      .count({ storeName: 'fizz-counts' })
      .toStream()
      .to('ops-fizz', { keySerde: s, valueSerde: n });
    return builder.build();
  };
  for (const topic of ['ops-in', 'ops-out', 'ops-digits', 'ops-fizz'])
    await cluster.createTopic(topic, 3);
  const inputs = Array.from({ length: 300 }, (_, i) => ({
    key: `k${i % 17}`,
    value: String((i * 37) % 100),
  }));
  const driver = new TopologyTestDriver(build());
  const input = driver.createInputTopic('ops-in', s, s);
  for (const r of inputs) input.pipeInput(r.key, r.value);
  const expectedOut = driver
    .createOutputTopic('ops-out', s, n)
    .readKeyValuesToList()
    .map((r) => `${r.key}=${r.value}`)
    .sort();
  const expectedDigits = new Map(
    [...driver.createOutputTopic('ops-digits', s, n).readKeyValuesToMap()].map(([k, v]) => [
      k,
      String(v),
    ]),
  );
  const expectedFizz = new Map(
    [...driver.createOutputTopic('ops-fizz', s, n).readKeyValuesToMap()].map(([k, v]) => [
      k,
      String(v),
    ]),
  );
  driver.close();

  const streams = await run(build(), 'ops-app');
  await cluster.produce('ops-in', inputs);
  /** Waits until the topic's last value per key is the expected count; explains a timeout. */
  const untilCountsSettle = (store: string, topic: string, expected: Map<string, string>) =>
    untilProcessed(
      streams,
      `${topic} counts to settle`,
      async () => {
        const latest = latestByKey(await cluster.readAll(topic), numberText);
        return [...expected].every(([k, v]) => latest.get(k) === v);
      },
      async () => {
        const records = await cluster.readAll(topic);
        const latest = latestByKey(records, numberText);
        const counts = streams.keyValueStore<string, number>(store);
        const history = (key: string) =>
          records
            .filter((m) => m.key?.toString() === key)
            .map((m) => `${m.partition}@${m.offset}=${numberText(m.value as Buffer)}`)
            .join(' ');
        return [...expected]
          .map(([k, v]) =>
            latest.get(k) === v
              ? `${k}: ${v} as expected`
              : `${k}: expected ${v}, store ${counts.get(k)}, topic ${latest.get(k)} (${history(k)})`,
          )
          .join(', ');
      },
    );
  await untilCountsSettle('digit-counts', 'ops-digits', expectedDigits);
  await untilProcessed(
    streams,
    'every record to reach ops-out',
    async () => (await cluster.readAll('ops-out')).length >= expectedOut.length,
  );
  const out = (await cluster.readAll('ops-out'))
    .map((m) => `${m.key?.toString()}=${n.deserialize(m.value as Buffer)}`)
    .sort();
  t.deepEqual(out, expectedOut);
  await untilCountsSettle('fizz-counts', 'ops-fizz', expectedFizz);
  t.is(
    streams.keyValueStore<string, number>('digit-counts').get('7'),
    Number(expectedDigits.get('7')),
  );
  await streams.close();
  t.is(streams.state, 'not-running');
});

test.serial(
  'window boundaries, late records within and past grace, and suppressed final results',
  async (t) => {
    t.timeout(300_000);
    const build = () => {
      const builder = new StreamsBuilder();
      builder
        .stream<string, string>('win-in', { keySerde: s, valueSerde: s })
        .groupByKey()
        .windowedBy(TimeWindows.ofSize(100).grace(50))
        .count({ storeName: 'win-counts' })
        .suppress(Suppressed.untilWindowCloses())
        .toStream()
        .to('win-out', { keySerde: ws, valueSerde: n });
      return builder.build();
    };
    await cluster.createTopic('win-in', 1);
    await cluster.createTopic('win-out', 1);
    const base = 1_700_000_000_000;
    // [0,100) gets 0, 99 (boundary), 40 (late, within grace at stream time 120); 100 opens the next window;
    // 30 arrives at stream time 150 = 100 + 50: its window has closed, so it is dropped.
    const times = [0, 99, 100, 120, 40, 150, 30, 260, 400];
    const records = times.map((dt) => ({ key: 'sensor', value: 'x', timestamp: base + dt }));
    const driver = new TopologyTestDriver(build());
    const input = driver.createInputTopic('win-in', s, s);
    for (const r of records) input.pipeInput(r.key, r.value, r.timestamp);
    const expected = driver
      .createOutputTopic('win-out', ws, n)
      .readRecordsToList()
      .map((r) => `${(r.key as Windowed<string>).window.start - base}=${r.value}`);
    t.deepEqual(expected, ['0=3', '100=3', '200=1']);
    driver.close();

    const streams = await run(build(), 'win-app');
    await cluster.produce('win-in', records);
    await until('three final windows', async () => (await cluster.readAll('win-out')).length >= 3);
    const out = (await cluster.readAll('win-out')).map(
      (m) =>
        `${ws.deserialize(m.key as Buffer).window.start - base}=${n.deserialize(m.value as Buffer)}`,
    );
    t.deepEqual(out, expected);
    await streams.close();
  },
);

test.serial('stream-table, stream-stream and table-table joins', async (t) => {
  t.timeout(300_000);
  const build = () => {
    const builder = new StreamsBuilder({
      defaultKeySerde: s as never,
      defaultValueSerde: s as never,
    });
    const orders = builder.stream<string, string>('join-orders');
    const customers = builder.table<string, string>(
      'join-customers',
      {},
      { storeName: 'customers' },
    );
    orders.join(customers, (order, customer) => `${order} by ${customer}`).to('join-enriched');
    const payments = builder.stream<string, string>('join-payments');
    orders
      .join(
        payments,
        (order, payment) => `${order} paid ${payment}`,
        JoinWindows.ofTimeDifference(1000).grace(1_000_000),
      )
      .to('join-paid');
    const addresses = builder.table<string, string>('join-addresses');
    customers
      .join(addresses, (name, address) => `${name} @ ${address}`)
      .toStream()
      .to('join-profiles');
    return builder.build();
  };
  for (const topic of [
    'join-orders',
    'join-customers',
    'join-payments',
    'join-addresses',
    'join-enriched',
    'join-paid',
    'join-profiles',
  ]) {
    await cluster.createTopic(topic, 2, topic === 'join-customers' || topic === 'join-addresses');
  }
  const streams = await run(build(), 'join-app');
  const customers = Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: `name${i}` }));
  await cluster.produce('join-customers', customers);
  await until(
    'customers table loaded',
    () => streams.keyValueStore('customers').approximateNumEntries() === 10,
  );
  await cluster.produce(
    'join-addresses',
    customers.filter((_, i) => i % 2 === 0).map((c) => ({ key: c.key, value: `street ${c.key}` })),
  );
  const base = 1_700_000_000_000;
  const orders = Array.from({ length: 30 }, (_, i) => ({
    key: `c${i % 12}`,
    value: `o${i}`,
    timestamp: base + i * 100,
  }));
  await cluster.produce('join-orders', orders);
  const payments = orders
    .filter((_, i) => i % 3 === 0)
    .map((o, i) => ({ key: o.key, value: `p${i}`, timestamp: (o.timestamp ?? 0) + 500 }));
  await cluster.produce('join-payments', payments);
  // The same computation in memory, on the same inputs (customers first, as on the cluster).
  const driver = new TopologyTestDriver(build());
  const pipe = (topic: string, records: { key: string; value: string; timestamp?: number }[]) => {
    const input = driver.createInputTopic(topic, s, s);
    for (const r of records) input.pipeInput(r.key, r.value, r.timestamp ?? 0);
  };
  pipe('join-customers', customers);
  pipe(
    'join-addresses',
    customers.filter((_, i) => i % 2 === 0).map((c) => ({ key: c.key, value: `street ${c.key}` })),
  );
  pipe('join-orders', orders);
  pipe('join-payments', payments);
  const sorted = (topic: string) =>
    driver
      .createOutputTopic(topic, s, s)
      .readKeyValuesToList()
      .map((r) => `${r.key}:${r.value}`)
      .sort();
  const expected = {
    enriched: sorted('join-enriched'),
    paid: sorted('join-paid'),
    profiles: sorted('join-profiles'),
  };
  driver.close();
  t.is(expected.enriched.length, 26); // the 4 orders of c10 and c11 have no customer
  t.is(expected.paid.length, 16); // 10 payments; 6 of them also reach the next order of their key (700 ms later)
  const read = async (topic: string) =>
    (await cluster.readAll(topic)).map((m) => `${m.key?.toString()}:${m.value?.toString()}`).sort();
  await until(
    'enriched orders',
    async () => (await read('join-enriched')).length >= expected.enriched.length,
  );
  await until('paid orders', async () => (await read('join-paid')).length >= expected.paid.length);
  await until(
    'profiles',
    async () => (await read('join-profiles')).length >= expected.profiles.length,
  );
  t.deepEqual(await read('join-enriched'), expected.enriched);
  t.deepEqual(await read('join-paid'), expected.paid);
  t.deepEqual(await read('join-profiles'), expected.profiles);
  await streams.close();
});

test.serial(
  'hopping, sliding and session windows, reduce and aggregate, late records and final results match the in-memory computation',
  async (t) => {
    t.timeout(600_000);
    const build = () => {
      const builder = new StreamsBuilder();
      const grouped = builder
        .stream<string, string>('win2-in', { keySerde: s, valueSerde: s })
        .mapValues((v) => Number(v))
        .groupByKey({ keySerde: s, valueSerde: n });
      grouped
        .windowedBy(TimeWindows.ofSize(100).advanceBy(50).grace(30))
        .reduce((a, b) => a + b, { storeName: 'hop-sums' })
        .toStream()
        .to('win2-hop', { keySerde: ws, valueSerde: n });
      grouped
        .windowedBy(SlidingWindows.ofTimeDifference(60).grace(30))
        .count({ storeName: 'slide-counts' })
        .suppress(Suppressed.untilWindowCloses())
        .toStream()
        .to('win2-slide', { keySerde: ws, valueSerde: n });
      grouped
        .windowedBy(SessionWindows.withInactivityGap(40).grace(30))
        .aggregate(
          () => 0,
          (_k, v, sum) => sum + v,
          (_k, a, b) => a + b,
          { storeName: 'session-sums', valueSerde: n },
        )
        .toStream()
        .to('win2-session', { keySerde: ws, valueSerde: n });
      grouped
        .aggregate(
          () => '',
          (_k, v, digits) => `${digits}${v % 10}`,
          {
            storeName: 'digits-seen',
            valueSerde: s,
          },
        )
        .toStream()
        .to('win2-digits', { keySerde: s, valueSerde: s });
      return builder.build();
    };
    // One partition: one task, so stream time is shared by every key, as in the test driver.
    for (const topic of ['win2-in', 'win2-hop', 'win2-slide', 'win2-session', 'win2-digits'])
      await cluster.createTopic(topic, 1);
    const base = 1_700_000_000_000;
    // [key, time, value]: boundaries (99/100, 150), records late within grace (70 at stream
    // time 140) and past it (20 at 300, 105 at 190 for the hopping window [50,150)), sessions
    // that a late record bridges, and far-future records that close every window.
    const events: [string, number, number][] = [
      ['a', 0, 1],
      ['a', 30, 2],
      ['b', 45, 3],
      ['a', 99, 4],
      ['a', 100, 5],
      ['b', 140, 6],
      ['a', 70, 7],
      ['a', 150, 8],
      ['a', 190, 9],
      ['b', 105, 10],
      ['a', 260, 11],
      ['b', 300, 12],
      ['a', 20, 13],
      ['b', 330, 14],
      ['a', 5_000, 15],
      ['b', 5_000, 16],
    ];
    const records = events.map(([key, dt, value]) => ({
      key,
      value: String(value),
      timestamp: base + dt,
    }));
    const driver = new TopologyTestDriver(build());
    const input = driver.createInputTopic('win2-in', s, s);
    for (const r of records) input.pipeInput(r.key, r.value, r.timestamp);
    const windowText = (w: Windowed<string>) =>
      `${w.key}@${w.window.start - base}-${w.window.end - base}`;
    const windowedOutputs = (topic: string) =>
      driver
        .createOutputTopic(topic, ws, n)
        .readRecordsToList()
        .map((r) => `${windowText(r.key as Windowed<string>)}=${r.value}`);
    const expected = {
      hop: windowedOutputs('win2-hop'),
      slide: windowedOutputs('win2-slide'),
      session: windowedOutputs('win2-session'),
      digits: driver
        .createOutputTopic('win2-digits', s, s)
        .readRecordsToList()
        .map((r) => `${r.key}=${r.value}`),
    };
    const expectedHopA100 = driver
      .getWindowStore<string, number>('hop-sums')
      .fetch('a', base + 100);
    t.true(driver.dropped.length >= 2, 'some records are late past grace');
    t.is(new Set(expected.slide.map((r) => r.split('=')[0])).size, expected.slide.length);
    driver.close();

    const streams = await run(build(), 'win2-app');
    await cluster.produce('win2-in', records);
    await until('every input committed', () => cluster.committedToEnd('win2-app', 'win2-in'));
    const read = async (topic: string) =>
      distinctByOrigin(await cluster.readAll(topic)).map((m) => {
        if (topic === 'win2-digits') return `${m.key?.toString()}=${m.value?.toString()}`;
        const key = windowText(ws.deserialize(m.key as Buffer));
        return `${key}=${m.value === null ? 'null' : n.deserialize(m.value)}`;
      });
    // In one partition the outputs come in processing order, exactly as in memory.
    t.deepEqual(await read('win2-hop'), expected.hop);
    t.deepEqual(await read('win2-slide'), expected.slide);
    t.deepEqual(await read('win2-session'), expected.session);
    t.deepEqual(await read('win2-digits'), expected.digits);
    t.is(streams.windowStore<string, number>('hop-sums').fetch('a', base + 100), expectedHopA100);
    await streams.close();
  },
);

test.serial(
  'left and outer joins of streams and tables match the in-memory computation',
  async (t) => {
    t.timeout(600_000);
    const build = () => {
      const builder = new StreamsBuilder({
        defaultKeySerde: s as never,
        defaultValueSerde: s as never,
      });
      const clicks = builder.stream<string, string>('lj-clicks');
      const views = builder.stream<string, string>('lj-views');
      const windows = JoinWindows.ofTimeDifference(100).grace(50);
      clicks.leftJoin(views, (c, v) => `${c}|${v}`, windows).to('lj-left');
      clicks.outerJoin(views, (c, v) => `${c}|${v}`, windows).to('lj-outer');
      const users = builder.table<string, string>('lj-users', {}, { storeName: 'lj-users-store' });
      builder
        .stream<string, string>('lj-orders')
        .leftJoin(users, (order, user) => `${order} by ${user}`)
        .to('lj-enriched');
      const plans = builder.table<string, string>('lj-plans', {}, { storeName: 'lj-plans-store' });
      users
        .leftJoin(plans, (user, plan) => `${user}:${plan}`)
        .toStream()
        .to('lj-user-plans');
      users
        .outerJoin(plans, (user, plan) => `${user}:${plan}`)
        .toStream()
        .to('lj-any-plans');
      return builder.build();
    };
    for (const topic of ['lj-users', 'lj-plans']) await cluster.createTopic(topic, 2, true);
    // The stream-stream joins read one partition: one task, so one stream time decides which
    // records are late, as in the in-memory run (two tasks would each have their own).
    for (const topic of ['lj-clicks', 'lj-views']) await cluster.createTopic(topic, 1);
    await cluster.createTopic('lj-orders', 2);
    for (const topic of ['lj-left', 'lj-outer', 'lj-enriched', 'lj-user-plans', 'lj-any-plans'])
      await cluster.createTopic(topic, 2);
    const base = 1_700_000_000_000;
    type Input = { key: string; value: string | null; timestamp?: number };
    // Each stage is produced once the previous one is processed and committed, so the
    // cluster sees the topics in the same order as the in-memory run.
    const stages: [string, Input[]][] = [
      ['lj-users', Array.from({ length: 8 }, (_, i) => ({ key: `u${i}`, value: `user${i}` }))],
      [
        'lj-plans',
        [
          ...Array.from({ length: 6 }, (_, i) => ({ key: `u${i + 3}`, value: `plan${i}` })),
          { key: 'u4', value: null },
          { key: 'u5', value: 'plan-upgraded' },
        ],
      ],
      [
        'lj-users',
        [
          { key: 'u1', value: null },
          { key: 'u2', value: 'user2-renamed' },
        ],
      ],
      ['lj-orders', Array.from({ length: 12 }, (_, i) => ({ key: `u${i}`, value: `order${i}` }))],
      [
        'lj-clicks',
        Array.from({ length: 10 }, (_, i) => ({
          key: `k${i % 5}`,
          value: `click${i}`,
          timestamp: base + i * 30,
        })),
      ],
      [
        'lj-views',
        Array.from({ length: 8 }, (_, i) => ({
          key: `k${(i * 2) % 7}`,
          value: `view${i}`,
          timestamp: base + 40 + i * 25,
        })),
      ],
      // Far in the future: every join window closes, so the records left
      // without a partner come out of the left and outer joins.
      ...(['lj-clicks', 'lj-views'] as const).map((topic): [string, Input[]] => [
        topic,
        [{ key: `${topic}-end`, value: 'end', timestamp: base + 1_000_000 }],
      ]),
    ];
    const driver = new TopologyTestDriver(build());
    for (const [topic, records] of stages) {
      const input = driver.createInputTopic(topic, s, s);
      for (const r of records) input.pipeInput(r.key, r.value as string, r.timestamp ?? base);
    }
    const outputs = ['lj-left', 'lj-outer', 'lj-enriched', 'lj-user-plans', 'lj-any-plans'];
    const expected = new Map(
      outputs.map((topic) => [
        topic,
        driver
          .createOutputTopic(topic, s, s)
          .readKeyValuesToList()
          .map((r) => `${r.key}:${r.value}`)
          .sort(),
      ]),
    );
    driver.close();
    t.true((expected.get('lj-outer') ?? []).some((r) => r.includes('|null')));
    t.true((expected.get('lj-outer') ?? []).some((r) => r.includes(':null|')));
    t.true((expected.get('lj-any-plans') ?? []).some((r) => r.includes(':null:')));

    const streams = await run(build(), 'lj-app');
    for (const [topic, records] of stages) {
      await cluster.produce(
        topic,
        records.map((r) => ({ ...r, timestamp: r.timestamp ?? base })),
      );
      await until(`${topic} processed`, () => cluster.committedToEnd('lj-app', topic));
    }
    for (const topic of outputs) {
      const got = distinctByOrigin(await cluster.readAll(topic))
        .map((m) => `${m.key?.toString()}:${m.value?.toString() ?? 'null'}`)
        .sort();
      t.deepEqual(got, expected.get(topic), topic);
    }
    await streams.close();
  },
);

test.serial(
  'joining topics with different partition counts fails at start with a typed error',
  async (t) => {
    await cluster.createTopic('cp-orders', 3);
    await cluster.createTopic('cp-customers', 2, true);
    await cluster.createTopic('cp-out', 1);
    const builder = new StreamsBuilder({
      defaultKeySerde: s as never,
      defaultValueSerde: s as never,
    });
    builder
      .stream<string, string>('cp-orders')
      .join(builder.table<string, string>('cp-customers'), (o, c) => `${o}${c}`)
      .to('cp-out');
    const streams = new Streams(builder.build(), {
      applicationId: 'cp-app',
      client: cluster.client('cp-app'),
    });
    const error = await t.throwsAsync(streams.start(), { instanceOf: CoPartitioningError });
    t.regex(
      error?.message ?? '',
      /cp-orders \(3\).*cp-customers \(2\)|cp-customers \(2\).*cp-orders \(3\)/,
    );
    t.is(streams.state, 'error');
  },
);

test.serial('start() waits out a cluster that does not answer, then runs', async (t) => {
  await cluster.createTopic('paused-in', 1);
  await cluster.createTopic('paused-out', 1);
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('paused-in', { keySerde: s, valueSerde: s })
    .mapValues((v) => v.toUpperCase())
    .to('paused-out', { keySerde: s, valueSerde: s });
  const warnings: string[] = [];
  const streams = new Streams(builder.build(), {
    applicationId: 'paused-app',
    client: new Client({
      clientId: 'paused-app',
      brokers: cluster.cluster.bootstrap,
      logger: silentLogger,
      requestTimeoutMs: 1_000,
    }),
    commitIntervalMs: 200,
    logger: { info() {}, warn: (message) => warnings.push(message), error() {} },
  });
  running.push(streams);
  const nodes = cluster.cluster.nodes.map((node) => node.nodeId);
  // Every node stopped (SIGSTOP): connects are accepted by the kernel and never answered.
  for (const node of nodes) await cluster.cluster.pause(node);
  let starting: Promise<void>;
  try {
    starting = streams.start();
    starting.catch(() => undefined);
    await until('a connect attempt to time out', () => warnings.length > 0, 60_000);
  } finally {
    for (const node of nodes) await cluster.cluster.resume(node);
  }
  await starting;
  t.is(streams.state, 'running');
  await cluster.produce('paused-in', [{ key: 'k', value: 'late' }]);
  await until('the record through the topology', async () =>
    (await cluster.readAll('paused-out')).some((m) => m.value?.toString() === 'LATE'),
  );
  t.regex(warnings[0] ?? '', /could not connect the admin; trying again/);
});

const tsxLoader = createRequire(import.meta.url).resolve('tsx');
const appScript = fileURLToPath(new URL('./word-count-app.ts', import.meta.url));

interface AppProcess {
  readonly child: ChildProcess;
  readonly output: string[];
}

function startApp(config: Record<string, unknown>): Promise<AppProcess> {
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, appScript, JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`app did not start: ${output.join('')}`)),
      120_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes('READY')) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code}: ${output.join('')}`));
    });
  });
}

function stopApp(app: AppProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (app.child.exitCode !== null || app.child.signalCode !== null) return resolve();
    app.child.removeAllListeners('exit');
    app.child.once('exit', () => resolve());
    app.child.kill(signal);
  });
}

/** The tasks and metrics an app process printed last (a METRICS line every 2 s). */
function lastMetrics(app: AppProcess): { tasks: string[]; recordsProcessed: number } | undefined {
  // Complete lines only: the output may end inside a line still being written.
  const lines = app.output.join('').split('\n').slice(0, -1);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (!line.startsWith('METRICS ')) continue;
    try {
      return JSON.parse(line.slice('METRICS '.length));
    } catch {
      // a line cut by interleaved stderr output: look at the one before
    }
  }
  return undefined;
}

test.serial(
  'an instance killed mid-stream, restarted, and joined by a second one ends with the in-memory aggregates',
  async (t) => {
    t.timeout(900_000);
    const prefix = 'kill';
    for (const topic of ['lines', 'counts', 'windows'])
      await cluster.createTopic(`${prefix}-${topic}`, 4);
    const vocabulary = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const base = 1_700_000_000_000;
    const lines = Array.from({ length: 2400 }, (_, i) => ({
      key: `line${i}`,
      value: Array.from(
        { length: 1 + (i % 5) },
        (_, j) => vocabulary[(i * 7 + j * 13) % vocabulary.length],
      ).join(' '),
      timestamp: base + i * 10,
    }));
    const expectedCounts = new Map<string, string>();
    const expectedWindows = new Map<string, string>();
    for (const line of lines) {
      for (const word of line.value.split(' ')) {
        expectedCounts.set(word, String(Number(expectedCounts.get(word) ?? 0) + 1));
        const start = line.timestamp - (line.timestamp % 1000);
        const id = `${word}@${start}`;
        expectedWindows.set(id, String(Number(expectedWindows.get(id) ?? 0) + 1));
      }
    }
    const stateDirs = [
      mkdtempSync(join(tmpdir(), 'streams-kill-a-')),
      mkdtempSync(join(tmpdir(), 'streams-kill-b-')),
    ];
    t.teardown(() => {
      for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
    });
    const config = (stateDir: string) => ({
      bootstrap: cluster.cluster.bootstrap,
      applicationId: 'kill-app',
      prefix,
      stateDir,
    });
    const apps: AppProcess[] = [];
    t.teardown(async () => {
      for (const app of apps) await stopApp(app, 'SIGKILL');
    });
    apps.push(await startApp(config(stateDirs[0] as string)));
    await cluster.produce(`${prefix}-lines`, lines.slice(0, 800));
    const logApps = () => t.log(apps.map((a) => a.output.join('').slice(-6000)));
    await until(
      'the first instance to produce counts',
      async () => (await cluster.readAll(`${prefix}-counts`)).length > 200,
    ).catch((error: unknown) => {
      logApps();
      throw error;
    });
    // Crash in the middle of the stream: more input is arriving while it dies.
    const producing = cluster.produce(`${prefix}-lines`, lines.slice(800, 1600));
    await stopApp(apps[0] as AppProcess, 'SIGKILL');
    await producing;
    apps.push(await startApp(config(stateDirs[0] as string)));
    // The restarted instance alone takes everything up to line 2000 before the second one
    // joins, as on a loaded machine where the second one's join comes late: the second one
    // then joins with nothing to do, and gets work only from lines produced while it holds
    // tasks (this test used to wait for it to process lines produced before it had any).
    await cluster.produce(`${prefix}-lines`, lines.slice(1600, 2000));
    const repartition = 'kill-app-words-repartition';
    const drained = async () =>
      (await cluster.committedToEnd('kill-app', `${prefix}-lines`)) &&
      (await cluster.committedToEnd('kill-app', repartition));
    const drainStartMs = Date.now();
    await until('the restarted instance to process everything', drained, 300_000).catch(
      (error: unknown) => {
        logApps();
        throw error;
      },
    );
    t.log(`the restarted instance processed everything within ${Date.now() - drainStartMs} ms`);
    apps.push(await startApp(config(stateDirs[1] as string)));
    // The second instance takes a share of the tasks and works on them; then it is killed
    // mid-stream too, and the first takes its tasks over (restored from the changelogs).
    // Lines go in 50 at a time while it holds tasks, until it has processed some: a
    // rebalance (a member expelled on a loaded machine) may hand a slice to the first.
    const second = apps[2] as AppProcess;
    const secondProcessed = () => (lastMetrics(second)?.recordsProcessed ?? 0) > 0;
    let next = 2000;
    while (!secondProcessed()) {
      if (next >= 2300) {
        logApps();
        throw new Error('the second instance processed none of 300 lines sent while it held tasks');
      }
      await until(
        'the second instance to hold tasks',
        () => (lastMetrics(second)?.tasks.length ?? 0) > 0,
      );
      await cluster.produce(`${prefix}-lines`, lines.slice(next, next + 50));
      next += 50;
      await until(
        'the second instance to process records, or every record to be processed',
        async () => secondProcessed() || (await drained()),
      );
    }
    t.log(`the second instance processed records after ${(next - 2000) / 50} slice(s) of lines`);
    const producingMore = cluster.produce(`${prefix}-lines`, lines.slice(next));
    await stopApp(second, 'SIGKILL');
    await producingMore;
    const settled = async () => {
      const counts = latestByKey(await cluster.readAll(`${prefix}-counts`), numberText);
      return (
        counts.size === expectedCounts.size &&
        [...expectedCounts].every(([k, v]) => counts.get(k) === v)
      );
    };
    await until('final word counts', settled, 300_000).catch(async (error) => {
      const counts = latestByKey(await cluster.readAll(`${prefix}-counts`), numberText);
      const wrong = [...expectedCounts].filter(([k, v]) => counts.get(k) !== v).slice(0, 5);
      t.log(
        'mismatches (word, expected, actual)',
        wrong.map(([k, v]) => [k, v, counts.get(k)]),
      );
      t.log(apps.map((a) => a.output.join('').slice(-2000)));
      throw error;
    });
    const counts = latestByKey(await cluster.readAll(`${prefix}-counts`), numberText);
    t.deepEqual(
      Object.fromEntries([...counts].sort()),
      Object.fromEntries([...expectedCounts].sort()),
    );
    const windows = new Map<string, string>();
    for (const m of await cluster.readAll(`${prefix}-windows`)) {
      if (m.key && m.value) windows.set(windowLabel(m.key), numberText(m.value));
    }
    const expectedLabels = new Map(
      [...expectedWindows].map(([k, v]) => {
        const [word, start] = k.split('@') as [string, string];
        return [`${word}@${start}`, v];
      }),
    );
    t.deepEqual(
      Object.fromEntries([...windows].sort()),
      Object.fromEntries([...expectedLabels].sort()),
    );
    for (const app of apps.slice(1)) await stopApp(app, 'SIGTERM');
  },
);
