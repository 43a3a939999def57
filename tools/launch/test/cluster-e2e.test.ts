import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalClient } from '@tributary/broker/internal';
import {
  Api,
  decodeRecords,
  ErrorCode,
  encodeRecordBatch,
  initChecksums,
} from '@tributary/protocol';
import test from 'ava';
import { LocalCluster } from '../src/local-cluster.ts';

async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what} (${String(lastError)})`);
}

test('a three-node cluster creates a topic, takes produces with each acks level, and serves fetches', async (t) => {
  await initChecksums();
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  const cluster = await LocalCluster.create({ nodes: 3, dataDir, settings: { tickMs: 20 } });
  const client = new InternalClient();
  t.teardown(async () => {
    client.close();
    await cluster.close({ graceful: false });
    rmSync(dataDir, { recursive: true, force: true });
  });
  await cluster.startAll();
  await cluster.waitHealthy(90_000);
  const addresses = cluster.bootstrap;
  const controllerAddress = await eventually('a controller', async () => {
    const metadata = await client.request(addresses[0] as string, Api.Metadata, { topics: null });
    const broker = metadata.brokers.find((b) => b.nodeId === metadata.controllerId);
    return broker ? `${broker.host}:${broker.port}` : undefined;
  });
  const created = await client.request(controllerAddress, Api.CreateTopics, {
    topics: [{ name: 'orders', partitions: 3, replicationFactor: 3, configs: {} }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  t.is(created.topics[0]?.error, 0, created.topics[0]?.message);
  const leaderOf = async (partition: number) =>
    eventually(`leader of orders/${partition}`, async () => {
      const metadata = await client.request(addresses[0] as string, Api.Metadata, {
        topics: ['orders'],
      });
      const p = metadata.topics[0]?.partitions[partition];
      const broker = metadata.brokers.find((b) => b.nodeId === p?.leader);
      return broker ? `${broker.host}:${broker.port}` : undefined;
    });
  const leader = await leaderOf(0);
  const acksLevels = ['leader', 'quorum', 'all'] as const;
  const offsets: number[] = [];
  for (const [i, acks] of acksLevels.entries()) {
    const batch = encodeRecordBatch([
      { key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: Date.now() },
    ]);
    const produced = await eventually(`produce acks=${acks}`, async () => {
      const response = await client.request(leader, Api.Produce, {
        acks,
        timeoutMs: 10_000,
        topics: [{ name: 'orders', partitions: [{ partition: 0, records: batch }] }],
      });
      const result = response.topics[0]?.partitions[0];
      if (result?.error === ErrorCode.LeaderNotAvailable.code) return undefined;
      return result;
    });
    t.is(produced.error, 0, produced.message);
    offsets.push(produced.baseOffset);
  }
  t.deepEqual(offsets, [0, 1, 2]);
  const fetched = await client.request(leader, Api.Fetch, {
    maxWaitMs: 1000,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [{ name: 'orders', partitions: [{ partition: 0, offset: 0, maxBytes: 1 << 20 }] }],
  });
  const partition = fetched.topics[0]?.partitions[0];
  t.is(partition?.error, 0);
  t.is(partition?.highWatermark, 3);
  const values: string[] = [];
  let position = 0;
  const records = partition?.records ?? new Uint8Array(0);
  while (position < records.length) {
    const size =
      new DataView(records.buffer, records.byteOffset + position + 8, 4).getInt32(0) + 12;
    for (const r of decodeRecords(records.subarray(position, position + size)))
      values.push(Buffer.from(r.value ?? []).toString());
    position += size;
  }
  t.deepEqual(values, ['v0', 'v1', 'v2']);
  const outOfRange = await client.request(leader, Api.Fetch, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1000,
    topics: [{ name: 'orders', partitions: [{ partition: 0, offset: 99, maxBytes: 1000 }] }],
  });
  const bad = outOfRange.topics[0]?.partitions[0];
  t.is(bad?.error, ErrorCode.OffsetOutOfRange.code);
  t.is(bad?.logStartOffset, 0);
  t.is(bad?.highWatermark, 3);
});
