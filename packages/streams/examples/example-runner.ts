/**
 * What the examples share: a client for `--brokers` (default: the cluster `npm start`
 * runs), creating the example's topics, and running a topology until a condition holds.
 */
import { parseArgs } from 'node:util';
import { Client, silentLogger } from '@tributary/client';
import { Streams, type Topology } from '../src/index.ts';

export function exampleClient(name: string): Client {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: '127.0.0.1:9092,127.0.0.1:9102,127.0.0.1:9112' },
    },
    strict: false,
  });
  return new Client({
    clientId: name,
    brokers: String(values.brokers).split(','),
    logger: silentLogger,
  });
}

export async function createTopics(
  client: Client,
  topics: readonly { topic: string; partitions: number; compacted?: boolean }[],
): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    for (const t of topics) {
      await admin
        .createTopics({
          topics: [
            {
              topic: t.topic,
              numPartitions: t.partitions,
              configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
            },
          ],
          waitForLeaders: true,
        })
        .catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'TOPIC_ALREADY_EXISTS') throw error;
        });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts the topology, calls `feed`, then polls `result` (an interactive query) until it
 * gives something (60 s at most), closes the application and returns that result.
 */
export async function runUntil<T>(options: {
  topology: Topology;
  applicationId: string;
  client: Client;
  feed: (streams: Streams) => Promise<void>;
  result: (streams: Streams) => T | undefined;
}): Promise<T> {
  const streams = new Streams(options.topology, {
    applicationId: options.applicationId,
    client: options.client,
    commitIntervalMs: 500,
  });
  await streams.start();
  try {
    await options.feed(streams);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const result = options.result(streams);
      if (result !== undefined) return result;
      if (streams.state === 'error') throw streams.error;
      if (Date.now() > deadline) throw new Error('no result within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await streams.close();
  }
}

/** Waits (polling, 60 s at most) until `condition` holds. */
export async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Reads `count` records of a topic from its beginning (60 s at most). */
export async function readRecords(
  client: Client,
  topic: string,
  count: number,
): Promise<{ key: string | null; value: string | null }[]> {
  const consumer = client.consumer({ autoOffsetReset: 'earliest' });
  await consumer.connect();
  consumer.assign([{ topic }], { fromBeginning: true });
  const records: { key: string | null; value: string | null }[] = [];
  const signal = AbortSignal.timeout(60_000);
  try {
    for await (const m of consumer.messages({ signal, autoCommit: false })) {
      records.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
      if (records.length >= count) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}

export function isMain(url: string): boolean {
  return (
    process.argv[1] !== undefined &&
    url.endsWith(process.argv[1].replace(/^.*\/examples\//, '/examples/'))
  );
}
