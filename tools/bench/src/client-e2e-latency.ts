/**
 * End-to-end latency through @tributary/client: a producer writes at a fixed rate while a
 * consumer in the same process reads the topic; the latency of a record is the time from
 * the producer's `send` call to the consumer's handler seeing it. Printed like Kafka's
 * end-to-end latency tool (average and percentiles), plus the rates achieved.
 *
 * Each record's value starts with its send time (`performance.now()`, a float64), so the
 * figure has sub-millisecond resolution; the record timestamp (milliseconds) is the same
 * moment. Records sent during the first `--warmup-seconds` are not counted.
 *
 *   npx tsx tools/bench/src/client-e2e-latency.ts [--rate 50000] [--seconds 30]
 *     [--warmup-seconds 5] [--record-bytes 100] [--partitions 6] [--acks quorum]
 *     [--linger-ms 1] [--tick-ms 2] [--max-in-flight <producer default>]
 *     [--batch-bytes <producer default>] [--bootstrap h:p,...] [--trace-file PATH]
 *
 * With a local cluster it also prints the cores the nodes and this process used over the
 * run. `--trace-file` writes, per 100 ms of send time, the worst latency of the records sent
 * in it, to tell a steady queue from bursts of stalls.
 */

import { writeFileSync } from 'node:fs';
import type { Acks } from '@tributary/protocol';
import { benchArgs, numberArg, usageFailure } from './args.ts';
import { benchCluster, createTopic, LatencyRecorder } from './client-bench-cluster.ts';

const values = benchArgs({
  rate: { type: 'string', default: '50000' },
  seconds: { type: 'string', default: '30' },
  'warmup-seconds': { type: 'string', default: '5' },
  'record-bytes': { type: 'string', default: '100' },
  partitions: { type: 'string', default: '6' },
  acks: { type: 'string', default: 'quorum' },
  'linger-ms': { type: 'string', default: '1' },
  'max-in-flight': { type: 'string' },
  'batch-bytes': { type: 'string' },
  'tick-ms': { type: 'string', default: '2' },
  'max-wait-ms': { type: 'string', default: '500' },
  nodes: { type: 'string', default: '3' },
  bootstrap: { type: 'string' },
  topic: { type: 'string', default: `bench-e2e-${Date.now()}` },
  'trace-file': { type: 'string' },
});
const traceFile = values['trace-file'];
const rate = numberArg(values, 'rate');
const seconds = numberArg(values, 'seconds');
const warmupSeconds = numberArg(values, 'warmup-seconds');
const recordBytes = numberArg(values, 'record-bytes');
const tickMs = numberArg(values, 'tick-ms');
const acks = (values.acks === '0' ? 0 : values.acks) as Acks;
if (recordBytes < 8) usageFailure('--record-bytes must be at least 8 (the send time)');
if (!(rate > 0) || !(seconds > 0)) usageFailure('--rate and --seconds must be positive');

const sentAtOf = (value: Buffer) => value.readDoubleLE(0);

interface Tally {
  sent: number;
  received: number;
  measured: number;
  latency: LatencyRecorder;
}

async function main(): Promise<void> {
  const env = await benchCluster({
    nodes: numberArg(values, 'nodes'),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
  });
  try {
    const client = env.client('bench-e2e');
    await createTopic(
      client,
      values.topic,
      numberArg(values, 'partitions'),
      Math.min(3, numberArg(values, 'nodes')),
    );
    const consumer = client.consumer({
      maxWaitMs: numberArg(values, 'max-wait-ms'),
      minBytes: 1,
      autoOffsetReset: 'earliest',
    });
    await consumer.connect();
    consumer.assign([{ topic: values.topic }], { fromBeginning: true });
    const producer = client.producer({
      acks,
      lingerMs: numberArg(values, 'linger-ms'),
      bufferBytesMax: 64 * 1024 * 1024,
      ...(values['max-in-flight']
        ? { maxInFlightPerBroker: numberArg(values, 'max-in-flight') }
        : {}),
      ...(values['batch-bytes'] ? { batchBytes: numberArg(values, 'batch-bytes') } : {}),
    });
    await producer.connect();

    const tally: Tally = { sent: 0, received: 0, measured: 0, latency: new LatencyRecorder() };
    /** Worst latency by 100 ms bucket of send time, for --trace-file. */
    const worstBySendTime = new Map<number, number>();
    const cpuBefore = cpuNow(env);
    const started = performance.now();
    const measureFrom = started + warmupSeconds * 1000;
    const total = Math.round(rate * seconds);
    let allReceived: () => void = () => {};
    const received = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const message of batch.messages) {
          if (message.value === null) continue;
          const sentAt = sentAtOf(message.value);
          tally.received += 1;
          if (sentAt >= measureFrom) {
            tally.latency.add(now - sentAt, 1);
            if (traceFile) {
              const bucket = Math.floor((sentAt - started) / 100);
              worstBySendTime.set(bucket, Math.max(worstBySendTime.get(bucket) ?? 0, now - sentAt));
            }
            tally.measured += 1;
          }
        }
        if (tally.received >= total) allReceived();
      },
    });

    const failures = await produceAtRate(producer, started, total, tally);
    // Wait up to 60 s for the stragglers; the timer is cleared so the process can exit.
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      received,
      new Promise((resolve) => {
        drainTimer = setTimeout(resolve, 60_000);
      }),
    ]);
    clearTimeout(drainTimer);
    const elapsed = (performance.now() - started) / 1000;
    report(tally, elapsed, failures);
    if (traceFile) writeTrace(traceFile, worstBySendTime);
    reportCpu(cpuBefore, cpuNow(env), elapsed);
    await producer.disconnect();
    await consumer.disconnect();
  } finally {
    await env.close();
  }
}

/** Sends `total` records at `rate`, a tick's worth at a time; returns the failed sends. */
async function produceAtRate(
  producer: ReturnType<ReturnType<Awaited<ReturnType<typeof benchCluster>>['client']>['producer']>,
  started: number,
  total: number,
  tally: Tally,
): Promise<number> {
  let failures = 0;
  const inflight = new Set<Promise<void>>();
  while (tally.sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) / 1000) * rate));
    const count = due - tally.sent;
    if (count > 0) {
      const timestamp = Date.now();
      // One allocation a tick, each record's value a slice of it: the generator shares the
      // two cores with the nodes, so what it spends is taken from what it measures.
      const payloads = Buffer.alloc(count * recordBytes, 120);
      const messages = new Array<{ value: Buffer; timestamp: number }>(count);
      for (let i = 0; i < count; i += 1) {
        const value = payloads.subarray(i * recordBytes, (i + 1) * recordBytes);
        value.writeDoubleLE(now, 0);
        messages[i] = { value, timestamp };
      }
      const pending = producer.send({ topic: values.topic, messages }).then(
        () => {
          inflight.delete(pending);
        },
        () => {
          failures += 1;
          inflight.delete(pending);
        },
      );
      inflight.add(pending);
      tally.sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inflight);
  return failures;
}

/** One line per 100 ms of send time: its start (s) and the worst latency sent in it (ms). */
function writeTrace(path: string, worstBySendTime: Map<number, number>): void {
  const buckets = [...worstBySendTime.keys()].sort((a, b) => a - b);
  const lines = buckets.map(
    (bucket) => `${(bucket / 10).toFixed(1)} ${(worstBySendTime.get(bucket) as number).toFixed(1)}`,
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

interface CpuReading {
  nodes: number | undefined;
  nodesMain: number | undefined;
  self: number;
}

function cpuNow(env: Awaited<ReturnType<typeof benchCluster>>): CpuReading {
  const usage = process.cpuUsage();
  return {
    nodes: env.nodesCpuSeconds(),
    nodesMain: env.nodesMainThreadCpuSeconds(),
    self: (usage.user + usage.system) / 1e6,
  };
}

/** Share of a core each side used over the run: what the two cores were busy with. */
function reportCpu(before: CpuReading, after: CpuReading, elapsedSeconds: number): void {
  const cores = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? 'n/a' : ((b - a) / elapsedSeconds).toFixed(2);
  console.log(
    `CPU (cores busy over the run): nodes ${cores(before.nodes, after.nodes)} ` +
      `(main threads ${cores(before.nodesMain, after.nodesMain)}), ` +
      `this process ${cores(before.self, after.self)}`,
  );
}

function report(tally: Tally, elapsedSeconds: number, failures: number): void {
  const s = tally.latency.summary();
  console.log(
    `${tally.sent} records sent at a target of ${rate} records/sec over ${seconds} s ` +
      `(${(tally.sent / seconds).toFixed(0)} records/sec offered), ${tally.received} received, ` +
      `${failures} failed sends; ${tally.measured} measured after ${warmupSeconds} s of warm-up ` +
      `(${elapsedSeconds.toFixed(1)} s in all).`,
  );
  console.log(`Avg latency: ${s.avg.toFixed(4)} ms, max ${s.max.toFixed(2)} ms`);
  console.log(
    `Percentiles: 50th = ${s.p50.toFixed(2)}, 95th = ${s.p95.toFixed(2)}, ` +
      `99th = ${s.p99.toFixed(2)}, 99.9th = ${s.p999.toFixed(2)} (ms)`,
  );
}

await main();
