/**
 * Page views per user in 5-minute tumbling windows, with one minute of grace for late
 * events, emitting only each window's final count once it has closed.
 *
 *   npx tsx packages/streams/examples/page-views.ts [--brokers host:port,...]
 */
import { Serdes, StreamsBuilder, Suppressed, TimeWindows, windowedSerde } from '../src/index.ts';
import { createTopics, exampleClient, isMain, runUntil } from './example-runner.ts';

export interface PageView {
  readonly user: string;
  readonly page: string;
}

export const fiveMinutes = 5 * 60_000;

export function pageViewTopology(input = 'page-views', output = 'page-views-per-user') {
  const builder = new StreamsBuilder();
  builder
    .stream<string | null, PageView>(input, {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<PageView>(),
    })
    .selectKey((_key, view) => view.user)
    .groupByKey({ keySerde: Serdes.string(), valueSerde: Serdes.json<PageView>() })
    .windowedBy(TimeWindows.ofSize(fiveMinutes).grace(60_000))
    .count({ storeName: 'views-per-user' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .to(output, { keySerde: windowedSerde(Serdes.string()), valueSerde: Serdes.number() });
  return builder.build();
}

async function main(): Promise<void> {
  const client = exampleClient('page-view-example');
  await createTopics(client, [
    { topic: 'page-views', partitions: 3 },
    { topic: 'page-views-per-user', partitions: 3 },
  ]);
  const producer = client.producer();
  await producer.connect();
  const start = Math.floor(Date.now() / fiveMinutes) * fiveMinutes - 2 * fiveMinutes;
  const view = (user: string, page: string, atMs: number) => ({
    value: JSON.stringify({ user, page }),
    timestamp: start + atMs,
  });
  const windows = await runUntil({
    topology: pageViewTopology(),
    applicationId: 'page-view-example',
    client,
    feed: async () => {
      await producer.send({
        topic: 'page-views',
        messages: [
          view('ann', '/', 1_000),
          view('bob', '/docs', 2_000),
          view('ann', '/docs', 200_000),
          view('ann', '/blog', 310_000),
        ],
      });
    },
    result: (streams) => {
      const all = streams.windowStore<string, number>('views-per-user').all();
      return all.length >= 3 ? all : undefined;
    },
  });
  for (const { key, value } of windows)
    console.log(`${key.key} [${new Date(key.window.start).toISOString()}, +5 min): ${value} views`);
  await producer.disconnect();
}

if (isMain(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
