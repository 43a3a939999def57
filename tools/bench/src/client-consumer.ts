/**
 * Consumer throughput through @tributary/client, printed like Kafka's
 * kafka-consumer-perf-test. The topic is first filled with `--records` records (through the
 * producer, not timed), then read from the beginning by one consumer, in a group or with
 * partitions assigned by hand, with `eachBatch` (default) or the async iterator. Fetch and
 * prefetch sizes are the client's defaults (what an application gets) unless given.
 *
 *   npx tsx tools/bench/src/client-consumer.ts [--records 2000000] [--record-bytes 100]
 *     [--partitions 6] [--mode batch|message|iterator] [--group] [--partition-fetch-bytes N]
 *     [--fetch-bytes N] [--prefetch-bytes N] [--bootstrap h:p,...]
 */
import { benchArgs, numberArg } from './args.ts';
import { benchCluster, createTopic, formatRate } from './client-bench-cluster.ts';

const values = benchArgs({
  records: { type: 'string', default: '2000000' },
  'record-bytes': { type: 'string', default: '100' },
  partitions: { type: 'string', default: '6' },
  mode: { type: 'string', default: 'batch' },
  group: { type: 'boolean', default: false },
  nodes: { type: 'string', default: '3' },
  bootstrap: { type: 'string' },
  topic: { type: 'string', default: `bench-consumer-${Date.now()}` },
  'partition-fetch-bytes': { type: 'string' },
  'fetch-bytes': { type: 'string' },
  'prefetch-bytes': { type: 'string' },
});
const records = numberArg(values, 'records');
const recordBytes = numberArg(values, 'record-bytes');

async function fill(env: Awaited<ReturnType<typeof benchCluster>>): Promise<void> {
  const client = env.client('bench-filler');
  await createTopic(
    client,
    values.topic,
    numberArg(values, 'partitions'),
    Math.min(3, numberArg(values, 'nodes')),
  );
  const producer = client.producer({
    lingerMs: 5,
    batchBytes: 256 * 1024,
    bufferBytesMax: 64 * 1024 * 1024,
  });
  await producer.connect();
  const payload = Buffer.alloc(recordBytes, 120);
  const chunk = Array.from({ length: 1000 }, () => ({ value: payload }));
  const inflight = new Set<Promise<unknown>>();
  for (let sent = 0; sent < records; sent += chunk.length) {
    const pending = producer.send({
      topic: values.topic,
      messages: chunk.slice(0, Math.min(chunk.length, records - sent)),
    });
    inflight.add(pending);
    void pending.finally(() => inflight.delete(pending));
    if (inflight.size >= 64) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  await producer.disconnect();
}

interface ConsumeFigures {
  count: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  /** The local nodes' CPU and minor page faults while consuming (undefined with --bootstrap). */
  nodes: { cpuSeconds: number; faults: number } | undefined;
}

async function consume(env: Awaited<ReturnType<typeof benchCluster>>): Promise<ConsumeFigures> {
  const client = env.client('bench-consumer');
  const sizeOption = (name: string) => {
    const value = values[name as 'fetch-bytes'];
    return value === undefined ? undefined : Number(value);
  };
  const sizes = {
    ...optional('maxBytesPerPartition', sizeOption('partition-fetch-bytes')),
    ...optional('maxBytes', sizeOption('fetch-bytes')),
    ...optional('prefetchBytesMax', sizeOption('prefetch-bytes')),
    autoOffsetReset: 'earliest' as const,
  };
  const consumer = client.consumer(
    values.group ? { groupId: `bench-${Date.now()}`, ...sizes } : sizes,
  );
  await consumer.connect();
  if (values.group) consumer.subscribe({ topic: values.topic, fromBeginning: true });
  else consumer.assign([{ topic: values.topic }], { fromBeginning: true });
  let count = 0;
  let bytes = 0;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const nodesAtStart = { cpuSeconds: env.nodesCpuSeconds(), faults: env.nodesMinorFaults() };
  if (values.mode === 'iterator') {
    for await (const message of consumer) {
      count += 1;
      bytes += message.value?.length ?? 0;
      if (count >= records) break;
    }
  } else {
    await new Promise<void>((resolve) => {
      const handler =
        values.mode === 'message'
          ? {
              eachMessage: async ({ message }: { message: { value: Buffer | null } }) => {
                count += 1;
                bytes += message.value?.length ?? 0;
                if (count === records) resolve();
              },
            }
          : {
              eachBatch: async ({
                batch,
              }: {
                batch: { messages: readonly { value: Buffer | null }[] };
              }) => {
                count += batch.messages.length;
                for (const m of batch.messages) bytes += m.value?.length ?? 0;
                if (count >= records) resolve();
              },
            };
      void consumer.run(handler);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const nodesAtEnd = { cpuSeconds: env.nodesCpuSeconds(), faults: env.nodesMinorFaults() };
  await consumer.disconnect();
  const nodes =
    nodesAtStart.cpuSeconds === undefined ||
    nodesAtEnd.cpuSeconds === undefined ||
    nodesAtStart.faults === undefined ||
    nodesAtEnd.faults === undefined
      ? undefined
      : {
          cpuSeconds: nodesAtEnd.cpuSeconds - nodesAtStart.cpuSeconds,
          faults: nodesAtEnd.faults - nodesAtStart.faults,
        };
  return { count, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, nodes };
}

async function main(): Promise<void> {
  const env = await benchCluster({
    nodes: numberArg(values, 'nodes'),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
  });
  try {
    await fill(env);
    const { count, bytes, seconds, cpuSeconds, nodes } = await consume(env);
    console.log(
      `${count} records consumed in ${seconds.toFixed(2)} s: ${formatRate(count, bytes, seconds)} ` +
        `(mode ${values.mode}, ${values.group ? 'group' : 'assigned'}, ${values.partitions} partitions)`,
    );
    // The consumer's own CPU (its process; the nodes run apart): steadier than the rate
    // on a shared machine, and what bounds the rate once the brokers keep up.
    console.log(
      `consumer process CPU ${cpuSeconds.toFixed(2)} s: ` +
        `${Math.round(count / cpuSeconds)} records per CPU-second`,
    );
    if (nodes !== undefined) {
      // The nodes' side of reading: Fetch answers (reads, frames), per record.
      console.log(
        `nodes CPU ${nodes.cpuSeconds.toFixed(2)} s while consuming: ` +
          `${((nodes.cpuSeconds / count) * 1e6).toFixed(2)} us a record; ` +
          `minor page faults ${(nodes.faults / count).toFixed(3)} a record`,
      );
    }
  } finally {
    await env.close();
  }
}

await main();

/** `{ [key]: value }`, or nothing when the value was not given (the client's default holds). */
function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
