/**
 * A streams application in its own process, for the kill/restart test: word count and
 * windowed word count over `<prefix>-lines`. Config comes as one JSON argument; it prints
 * READY once running, and closes gracefully on SIGTERM (SIGKILL is the crash).
 */
import { Client, silentLogger } from '@tributary/client';
import { Serdes, Streams, StreamsBuilder, TimeWindows, windowedSerde } from '../../src/index.ts';

interface AppConfig {
  readonly bootstrap: string[];
  readonly applicationId: string;
  readonly prefix: string;
  readonly stateDir?: string;
}

export function wordCountTopology(prefix: string) {
  const s = Serdes.string();
  const builder = new StreamsBuilder();
  const words = builder
    .stream<string | null, string>(`${prefix}-lines`, { keySerde: s, valueSerde: s })
    .flatMapValues((line) => line.split(' ').filter((w) => w.length > 0))
    .groupBy((_k, word) => word, { keySerde: s, valueSerde: s, name: 'words' });
  words
    .count({ storeName: 'word-counts' })
    .toStream()
    .to(`${prefix}-counts`, { keySerde: s, valueSerde: Serdes.number() });
  words
    .windowedBy(TimeWindows.ofSize(1000).grace(1_000_000))
    .count({ storeName: 'window-counts' })
    .toStream()
    .to(`${prefix}-windows`, { keySerde: windowedSerde(s), valueSerde: Serdes.number() });
  return builder.build();
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as AppConfig;
  const client = new Client({
    clientId: config.applicationId,
    brokers: config.bootstrap,
    logger: silentLogger,
    requestTimeoutMs: 10_000,
  });
  const streams = new Streams(wordCountTopology(config.prefix), {
    applicationId: config.applicationId,
    client,
    commitIntervalMs: 300,
    sessionTimeoutMs: 4_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 20_000,
    ...(config.stateDir === undefined ? {} : { stateDir: config.stateDir }),
    logger: {
      info: (message, extra) =>
        console.log(`INFO ${message} ${JSON.stringify(extra ?? {}).slice(0, 200)}`),
      warn: (message, extra) => console.log(`WARN ${message} ${JSON.stringify(extra ?? {})}`),
      error: (message, extra) => console.log(`ERROR ${message} ${JSON.stringify(extra ?? {})}`),
    },
  });
  setInterval(
    () =>
      console.log(`METRICS ${JSON.stringify({ tasks: streams.localTasks(), ...streams.metrics })}`),
    2000,
  ).unref();
  streams.onStateChange((state) => {
    console.log(`STATE ${state}`);
    if (state === 'error') console.log(`ERROR ${String(streams.error)}`);
  });
  process.on('SIGTERM', () => {
    void streams.close().then(() => process.exit(0));
  });
  await streams.start();
  console.log('READY');
}

if (process.argv[1]?.endsWith('word-count-app.ts')) {
  main().catch((error: unknown) => {
    console.log(`FAILED ${String(error)}`);
    process.exit(1);
  });
}
