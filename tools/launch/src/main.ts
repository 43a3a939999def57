/**
 * `npm start`: a local cluster (three nodes by default) with an embedded default
 * configuration. It starts the node processes, waits until the cluster is healthy,
 * creates a demo topic, produces and consumes a few records to show it working, then
 * keeps running until Ctrl-C.
 *
 *   npm start -- [--nodes 3] [--data-dir ./data] [--base-port 9092 | 0 for free ports]
 *   npm start -- --node <id> --cluster-file cluster.json     (one node of a multi-host cluster)
 */
import { parseArgs } from 'node:util';
import { Client } from '@tributary/client';
import { runClusterFileNode } from './cluster-file.ts';
import { LocalCluster } from './local-cluster.ts';

const usage = `usage:
  npm start -- [--nodes N] [--data-dir DIR] [--base-port PORT|0] [--no-demo]
  npm start -- --node ID --cluster-file FILE [--data-dir DIR]`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        nodes: { type: 'string', default: '3' },
        'data-dir': { type: 'string', default: './data' },
        'base-port': { type: 'string', default: '9092' },
        'no-demo': { type: 'boolean', default: false },
        node: { type: 'string' },
        'cluster-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

async function demo(bootstrap: string[]): Promise<void> {
  const client = new Client({ clientId: 'npm-start-demo', brokers: bootstrap });
  const admin = client.admin();
  await admin.connect();
  const existing = await admin.listTopics();
  if (!existing.includes('demo')) {
    await admin.createTopics({
      topics: [{ topic: 'demo', numPartitions: 3, replicationFactor: 3 }],
    });
    console.log('created topic "demo" (3 partitions, replication factor 3)');
  }
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  const stamp = new Date().toISOString();
  const sent = await producer.send({
    topic: 'demo',
    messages: ['alpha', 'beta', 'gamma'].map((word) => ({
      key: word,
      value: `${word} at ${stamp}`,
    })),
  });
  for (const r of sent)
    console.log(`produced to demo/${r.partition} at offset ${r.baseOffset} (acks quorum)`);
  await producer.disconnect();
  const consumer = client.consumer({ groupId: `demo-${Date.now()}` });
  await consumer.connect();
  consumer.subscribe({ topics: ['demo'], fromBeginning: true });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  let seen = 0;
  for await (const message of consumer.messages({ signal: abort.signal })) {
    if (message.value?.toString().endsWith(stamp)) {
      console.log(
        `consumed demo/${message.partition}@${message.offset}: ${message.key?.toString()} = ${message.value.toString()}`,
      );
      if (++seen === 3) break;
    }
  }
  clearTimeout(timer);
  await consumer.disconnect();
}

async function runLocal(values: ReturnType<typeof parseOptions>): Promise<void> {
  const nodes = Number(values.nodes);
  const basePort = Number(values['base-port']);
  if (
    !Number.isInteger(nodes) ||
    nodes < 1 ||
    !Number.isInteger(basePort) ||
    basePort < 0 ||
    basePort > 65000
  ) {
    console.error(`--nodes must be a positive integer and --base-port a port\n${usage}`);
    process.exit(2);
  }
  const cluster = await LocalCluster.create({
    nodes,
    dataDir: values['data-dir'] as string,
    ...(basePort === 0 ? {} : { basePort }),
    settings: { defaultReplicationFactor: Math.min(3, nodes) },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the cluster (graceful: leaderships handed off, logs flushed)...');
    await cluster.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  console.log(`starting ${nodes} node(s); data in ${values['data-dir']}`);
  await cluster.startAll();
  for (const n of cluster.nodes) {
    console.log(
      `  node ${n.nodeId}: client 127.0.0.1:${n.clientPort}  peer :${n.peerPort}  metrics http://127.0.0.1:${n.metricsPort}/metrics  data ${n.dataDir}  log ${n.logFile}`,
    );
  }
  await cluster.waitHealthy(120_000);
  console.log('cluster healthy');
  if (!values['no-demo'] && nodes >= 3) await demo(cluster.bootstrap);
  console.log(
    `\nbrokers: ${cluster.bootstrap.join(',')}\ntry: npx tributary --brokers ${cluster.bootstrap[0]} topic list\nrunning; Ctrl-C to stop`,
  );
}

async function main(): Promise<void> {
  const values = parseOptions();
  if (values.help) {
    console.log(usage);
    return;
  }
  if (values.node !== undefined || values['cluster-file'] !== undefined) {
    await runClusterFileNode({
      nodeId: Number(values.node),
      clusterFile: values['cluster-file'] ?? '',
      dataDir: values['data-dir'],
    });
    return;
  }
  await runLocal(values);
}

main().catch((error) => {
  console.error(`failed: ${(error as Error).message}`);
  process.exit(1);
});
