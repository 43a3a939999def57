/**
 * Producer throughput and latency through @tributary/client, printed like Kafka's
 * kafka-producer-perf-test. Records are handed to `send` in chunks of `--send-records`
 * with up to `--sends-in-flight` sends outstanding; the latency of a record is the time its
 * `send` took to resolve (acknowledged per the acks level).
 *
 *   npx tsx tools/bench/src/client-producer.ts [--records 2000000] [--record-bytes 100]
 *     [--partitions 6] [--acks quorum] [--throughput -1] [--linger-ms 5]
 *     [--batch-bytes 262144] [--send-records 1000] [--sends-in-flight 64] [--bootstrap h:p,...]
 *
 * With a local cluster it also prints the CPU time of the producer process and of the nodes
 * during the produce phase, per record: steadier than the rate on a shared machine.
 */

import { PerformanceObserver } from 'node:perf_hooks';
import type { Acks } from '@tributary/protocol';
import { benchArgs, numberArg } from './args.ts';
import {
  benchCluster,
  createTopic,
  formatRate,
  LatencyRecorder,
  processMinorFaults,
} from './client-bench-cluster.ts';

const values = benchArgs({
  records: { type: 'string', default: '2000000' },
  'record-bytes': { type: 'string', default: '100' },
  partitions: { type: 'string', default: '6' },
  acks: { type: 'string', default: 'quorum' },
  throughput: { type: 'string', default: '-1' },
  'linger-ms': { type: 'string', default: '5' },
  'batch-bytes': { type: 'string', default: '262144' },
  'send-records': { type: 'string', default: '1000' },
  'sends-in-flight': { type: 'string', default: '64' },
  compression: { type: 'string', default: 'none' },
  nodes: { type: 'string', default: '3' },
  bootstrap: { type: 'string' },
  topic: { type: 'string', default: `bench-producer-${Date.now()}` },
});

const records = numberArg(values, 'records');
const recordBytes = numberArg(values, 'record-bytes');
const throughput = numberArg(values, 'throughput');
const sendRecords = numberArg(values, 'send-records');
const sendsInFlight = numberArg(values, 'sends-in-flight');
const acks = (values.acks === '0' ? 0 : values.acks) as Acks;

async function main(): Promise<void> {
  const env = await benchCluster({
    nodes: numberArg(values, 'nodes'),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
  });
  try {
    const client = env.client('bench-producer');
    await createTopic(
      client,
      values.topic,
      numberArg(values, 'partitions'),
      Math.min(3, numberArg(values, 'nodes')),
    );
    const producer = client.producer({
      acks,
      lingerMs: numberArg(values, 'linger-ms'),
      batchBytes: numberArg(values, 'batch-bytes'),
      compression: values.compression as 'none' | 'gzip',
      bufferBytesMax: 64 * 1024 * 1024,
    });
    await producer.connect();
    const payload = Buffer.alloc(recordBytes, 120);
    const messages = Array.from({ length: sendRecords }, () => ({ value: payload }));
    const latency = new LatencyRecorder();
    const inflight = new Set<Promise<void>>();
    // Garbage collection pauses of this process while it produces: how much of its CPU per
    // record is spent on the objects it makes per record.
    let gcMs = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const cpuAtStart = process.cpuUsage();
    const nodesCpuAtStart = env.nodesCpuSeconds();
    const nodesMainCpuAtStart = env.nodesMainThreadCpuSeconds();
    const faultsAtStart = { producer: processMinorFaults('self'), nodes: env.nodesMinorFaults() };
    const started = performance.now();
    let sent = 0;
    let lastReport = started;
    let reportedRecords = 0;
    while (sent < records) {
      const count = Math.min(sendRecords, records - sent);
      const chunk = count === sendRecords ? messages : messages.slice(0, count);
      const at = performance.now();
      const pending = producer.send({ topic: values.topic, messages: chunk }).then(() => {
        latency.add(performance.now() - at, count);
        inflight.delete(pending);
      });
      inflight.add(pending);
      sent += count;
      if (inflight.size >= sendsInFlight) await Promise.race(inflight);
      if (throughput > 0) {
        const aheadMs = (sent / throughput) * 1000 - (performance.now() - started);
        if (aheadMs > 1) await new Promise((resolve) => setTimeout(resolve, aheadMs));
      }
      const now = performance.now();
      if (now - lastReport >= 5_000) {
        const window = (now - lastReport) / 1000;
        console.log(
          `${sent - reportedRecords} records sent, ${formatRate(sent - reportedRecords, (sent - reportedRecords) * recordBytes, window)}`,
        );
        lastReport = now;
        reportedRecords = sent;
      }
    }
    await Promise.all(inflight);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    gcObserver.disconnect();
    const nodesCpuAtEnd = env.nodesCpuSeconds();
    const nodesMainCpuAtEnd = env.nodesMainThreadCpuSeconds();
    const faultsAtEnd = { producer: processMinorFaults('self'), nodes: env.nodesMinorFaults() };
    const s = latency.summary();
    console.log(
      `${records} records sent, ${formatRate(records, records * recordBytes, seconds)}, ` +
        `${s.avg.toFixed(2)} ms avg latency, ${s.max.toFixed(2)} ms max latency, ` +
        `${s.p50.toFixed(0)} ms 50th, ${s.p95.toFixed(0)} ms 95th, ${s.p99.toFixed(0)} ms 99th, ${s.p999.toFixed(0)} ms 99.9th.`,
    );
    // The producer's own CPU (its process; the nodes run apart): steadier than the rate
    // on a shared machine.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(
      `producer process CPU ${cpuSeconds.toFixed(2)} s: ` +
        `${Math.round(records / cpuSeconds)} records per CPU-second; ` +
        `garbage collection pauses ${gcMs.toFixed(0)} ms (${((gcMs * 1000) / records).toFixed(2)} us a record)`,
    );
    if (nodesCpuAtStart !== undefined && nodesCpuAtEnd !== undefined) {
      // What the target needs: 500 000 records/s on two cores is at most 4 us of CPU a record.
      const nodesSeconds = nodesCpuAtEnd - nodesCpuAtStart;
      console.log(
        `nodes CPU ${nodesSeconds.toFixed(2)} s; CPU per record: producer ` +
          `${((cpuSeconds / records) * 1e6).toFixed(2)} us + nodes ${((nodesSeconds / records) * 1e6).toFixed(2)} us`,
      );
      if (nodesMainCpuAtStart !== undefined && nodesMainCpuAtEnd !== undefined) {
        // A node profile covers only the main thread: this says how much it leaves out.
        const mainSeconds = nodesMainCpuAtEnd - nodesMainCpuAtStart;
        const otherSeconds = nodesSeconds - mainSeconds;
        console.log(
          `nodes CPU by thread: main (JavaScript) ${((mainSeconds / records) * 1e6).toFixed(2)} us a record, ` +
            `other threads (file I/O pool, GC helpers) ${((otherSeconds / records) * 1e6).toFixed(2)} us a record`,
        );
      }
    }
    if (faultsAtStart.nodes !== undefined && faultsAtEnd.nodes !== undefined) {
      // A minor fault is a fresh 4 KiB page touched: 100-byte records fill ~37 a page.
      const perRecord = (faults: number) => (faults / records).toFixed(3);
      console.log(
        `minor page faults per record: producer ${perRecord(faultsAtEnd.producer - faultsAtStart.producer)} + ` +
          `nodes ${perRecord(faultsAtEnd.nodes - faultsAtStart.nodes)}`,
      );
    }
    await producer.disconnect();
  } finally {
    await env.close();
  }
}

await main();
