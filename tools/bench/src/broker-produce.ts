/**
 * Broker produce throughput, isolated from the client library: a raw-protocol load
 * generator keeps a window of produce requests in flight against a real local cluster
 * (3 nodes, fsync on) and reports records/s, MB/s and latency percentiles.
 *
 *   npx tsx tools/bench/src/broker-produce.ts [--seconds 20] [--partitions 6]
 *     [--batch-records 1000] [--record-bytes 100] [--inflight 4] [--acks quorum]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalClient } from '@tributary/broker/internal';
import { LocalCluster } from '@tributary/launch';
import { type Acks, Api, encodeRecordBatch, initChecksums } from '@tributary/protocol';
import { benchArgs, numberArg } from './args.ts';

const values = benchArgs({
  seconds: { type: 'string', default: '20' },
  partitions: { type: 'string', default: '6' },
  'batch-records': { type: 'string', default: '1000' },
  'record-bytes': { type: 'string', default: '100' },
  inflight: { type: 'string', default: '4' },
  acks: { type: 'string', default: 'quorum' },
  nodes: { type: 'string', default: '3' },
  bootstrap: { type: 'string' },
});
const seconds = numberArg(values, 'seconds');
const partitions = numberArg(values, 'partitions');
const batchRecords = numberArg(values, 'batch-records');
const recordBytes = numberArg(values, 'record-bytes');
const inflight = numberArg(values, 'inflight');
const acks = (values.acks === '0' ? 0 : values.acks) as Acks;
const nodes = numberArg(values, 'nodes');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  await initChecksums();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-produce-'));
  const external = values.bootstrap;
  const cluster = await LocalCluster.create({
    nodes,
    dataDir,
    settings: { defaultReplicationFactor: Math.min(3, nodes) },
    execArgv: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  });
  const client = new InternalClient();
  try {
    if (!external) {
      await cluster.startAll();
      await cluster.waitHealthy(120_000);
    }
    const bootstrap = external ?? (cluster.bootstrap[0] as string);
    const metadata = await client.request(bootstrap, Api.Metadata, { topics: null });
    const controller = metadata.brokers.find((b) => b.nodeId === metadata.controllerId);
    if (!controller) throw new Error('no controller');
    const created = await client.request(
      `${controller.host}:${controller.port}`,
      Api.CreateTopics,
      {
        topics: [{ name: 'bench', partitions, replicationFactor: Math.min(3, nodes), configs: {} }],
        timeoutMs: 30_000,
        validateOnly: false,
      },
    );
    if (created.topics[0]?.error !== 0)
      throw new Error(`create failed: ${created.topics[0]?.message}`);
    const leaders = await waitLeaders(client, bootstrap, partitions);
    const value = Buffer.alloc(recordBytes, 120);
    const records = Array.from({ length: batchRecords }, () => ({
      key: null,
      value,
      timestamp: Date.now(),
    }));
    const template = encodeRecordBatch(records);
    const latencies: number[] = [];
    let acked = 0;
    let errors = 0;
    const errorCodes = new Map<string, number>();
    const deadline = Date.now() + seconds * 1000;
    const started = performance.now();
    const worker = async (partition: number) => {
      const leader = leaders[partition] as string;
      while (Date.now() < deadline) {
        const batch = Uint8Array.from(template);
        const sent = performance.now();
        const response = await client.request(
          leader,
          Api.Produce,
          {
            acks,
            timeoutMs: 30_000,
            topics: [{ name: 'bench', partitions: [{ partition, records: batch }] }],
          },
          60_000,
        );
        const result = response.topics[0]?.partitions[0];
        if (result?.error === 0) {
          acked += batchRecords;
          latencies.push(performance.now() - sent);
        } else {
          errors++;
          errorCodes.set(
            `${result?.error} ${result?.message ?? ''}`.slice(0, 120),
            (errorCodes.get(`${result?.error} ${result?.message ?? ''}`.slice(0, 120)) ?? 0) + 1,
          );
        }
      }
    };
    await Promise.all(
      Array.from({ length: partitions * inflight }, (_, i) => worker(i % partitions)),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const mb = (acked * recordBytes) / elapsed / 1e6;
    console.log(
      `${acked} records sent, ${(acked / elapsed).toFixed(0)} records/sec (${mb.toFixed(2)} MB/sec), ` +
        `${(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)).toFixed(2)} ms avg latency, ` +
        `${(latencies[latencies.length - 1] ?? 0).toFixed(2)} ms max latency, ` +
        `${percentile(latencies, 50).toFixed(0)} ms 50th, ${percentile(latencies, 95).toFixed(0)} ms 95th, ` +
        `${percentile(latencies, 99).toFixed(0)} ms 99th, ${percentile(latencies, 99.9).toFixed(0)} ms 99.9th. ` +
        `(${errors} failed requests; batch ${batchRecords} x ${recordBytes} B, ${partitions} partitions, ${inflight} in flight each, acks ${acks})`,
    );
    if (errorCodes.size > 0) console.log('errors:', Object.fromEntries(errorCodes));
  } finally {
    client.close();
    await cluster.close({ graceful: process.env.BENCH_NODE_ARGS !== undefined });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitLeaders(
  client: InternalClient,
  address: string,
  count: number,
): Promise<string[]> {
  for (;;) {
    const metadata = await client.request(address, Api.Metadata, { topics: ['bench'] });
    const leaders = (metadata.topics[0]?.partitions ?? []).map((p) => {
      const broker = metadata.brokers.find((b) => b.nodeId === p.leader);
      return broker ? `${broker.host}:${broker.port}` : undefined;
    });
    if (leaders.length === count && leaders.every((l) => l !== undefined)) {
      await new Promise((r) => setTimeout(r, 1000)); // let leaders apply their term's first entry
      return leaders as string[];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

await main();
