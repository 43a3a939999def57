/**
 * Shared by the client benchmarks: a local cluster (or an external one given by
 * --bootstrap), a topic to write, and Kafka-perf-test style reporting.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, silentLogger } from '@tributary/client';
import { LocalCluster } from '@tributary/launch';

export interface BenchCluster {
  readonly bootstrap: string[];
  client(clientId: string): Client;
  /** CPU seconds (user + system) the local nodes have used so far; undefined with --bootstrap. */
  nodesCpuSeconds(): number | undefined;
  /**
   * CPU seconds of the local nodes' main threads only (the JavaScript event loop); undefined
   * with --bootstrap. The rest of nodesCpuSeconds is spent by other threads: libuv's pool
   * (file writes, fsyncs, segment reads) and V8's garbage-collection helpers, which a CPU
   * profile (--cpu-prof) does not see.
   */
  nodesMainThreadCpuSeconds(): number | undefined;
  /**
   * Minor page faults the local nodes have taken so far; undefined with --bootstrap. On this
   * kind of VM touching fresh memory is what costs (a fault per 4 KiB page), so the count per
   * record shows how much of the data path runs through freshly allocated buffers.
   */
  nodesMinorFaults(): number | undefined;
  close(): Promise<void>;
}

/** The fields of /proc/<pid>/stat after the command name (Linux); empty if it is gone. */
function processStatFields(pid: number | 'self'): string[] {
  return statFields(`/proc/${pid}/stat`);
}

/** The fields of a /proc stat file after the command name; empty if it is gone. */
function statFields(path: string): string[] {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return [];
  }
}

const clockTicksPerSecond = 100;

/** utime + stime of a process (all its threads) from /proc (Linux), in seconds; 0 if it is gone. */
function processCpuSeconds(pid: number): number {
  return cpuSecondsOf(processStatFields(pid));
}

/** utime + stime of a process's main thread (its task with the process's id); 0 if gone. */
function mainThreadCpuSeconds(pid: number): number {
  return cpuSecondsOf(statFields(`/proc/${pid}/task/${pid}/stat`));
}

function cpuSecondsOf(fields: string[]): number {
  return fields.length === 0 ? 0 : (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** Minor page faults (minflt) of a process, or of this one; 0 if it is gone. */
export function processMinorFaults(pid: number | 'self'): number {
  const fields = processStatFields(pid);
  return fields.length === 0 ? 0 : Number(fields[7]);
}

export async function benchCluster(options: {
  nodes: number;
  bootstrap?: string;
}): Promise<BenchCluster> {
  const makeClient = (brokers: string[]) => (clientId: string) =>
    new Client({ clientId, brokers, logger: silentLogger, requestTimeoutMs: 30_000 });
  if (options.bootstrap !== undefined) {
    const brokers = options.bootstrap.split(',');
    return {
      bootstrap: brokers,
      client: makeClient(brokers),
      nodesCpuSeconds: () => undefined,
      nodesMainThreadCpuSeconds: () => undefined,
      nodesMinorFaults: () => undefined,
      close: async () => {},
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-client-'));
  const cluster = await LocalCluster.create({
    nodes: options.nodes,
    dataDir,
    settings: { defaultReplicationFactor: Math.min(3, options.nodes) },
    // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the nodes
    execArgv: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  });
  const close = async () => {
    // A profiled node writes its profile only when it exits on its own (SIGTERM).
    await cluster.close({ graceful: process.env.BENCH_NODE_ARGS !== undefined });
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await cluster.startAll();
    await cluster.waitHealthy(120_000);
  } catch (error) {
    await close();
    throw error;
  }
  const sumOverNodes = (measure: (pid: number) => number) => {
    let sum = 0;
    for (let nodeId = 1; nodeId <= options.nodes; nodeId += 1) {
      const pid = cluster.pid(nodeId);
      if (pid !== undefined) sum += measure(pid);
    }
    return sum;
  };
  return {
    bootstrap: cluster.bootstrap,
    client: makeClient(cluster.bootstrap),
    nodesCpuSeconds: () => sumOverNodes(processCpuSeconds),
    nodesMainThreadCpuSeconds: () => sumOverNodes(mainThreadCpuSeconds),
    nodesMinorFaults: () => sumOverNodes(processMinorFaults),
    close,
  };
}

export async function createTopic(
  client: Client,
  topic: string,
  partitions: number,
  replicationFactor: number,
) {
  const admin = client.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      timeoutMs: 60_000,
    });
    await leadersOnPreferredReplicas(admin, topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits (up to 20 s) until every partition of `topic` is led by its preferred (first)
 * replica, asking for a preferred-leader election when one is not. Right after creation the
 * first elections may leave one node leading most partitions until the brokers' periodic
 * balancer (every 5 s) moves them; measuring in that state would measure the imbalance.
 */
async function leadersOnPreferredReplicas(admin: ReturnType<Client['admin']>, topic: string) {
  const started = performance.now();
  while (performance.now() - started < 20_000) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const off = (topics[0]?.partitions ?? []).filter((p) => p.leader !== p.replicas[0]);
    if (topics.length > 0 && off.length === 0) return;
    await admin
      .electLeaders({ topics: [{ topic, partitions: off.map((p) => p.partitionId) }] })
      .catch(() => {}); // a leader not caught up yet refuses; the next round asks again
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`warning: ${topic}'s leaders are not on their preferred replicas after 20 s`);
}

/** Latency samples in ms with a weight (records), for percentiles per record. */
export class LatencyRecorder {
  private readonly samples: { ms: number; weight: number }[] = [];

  add(ms: number, weight: number): void {
    this.samples.push({ ms, weight });
  }

  summary(): { avg: number; max: number; p50: number; p95: number; p99: number; p999: number } {
    const sorted = [...this.samples].sort((a, b) => a.ms - b.ms);
    const total = sorted.reduce((n, s) => n + s.weight, 0);
    const at = (fraction: number) => {
      let seen = 0;
      for (const s of sorted) {
        seen += s.weight;
        if (seen >= fraction * total) return s.ms;
      }
      return sorted.at(-1)?.ms ?? 0;
    };
    const avg = sorted.reduce((n, s) => n + s.ms * s.weight, 0) / Math.max(1, total);
    return {
      avg,
      max: sorted.at(-1)?.ms ?? 0,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      p999: at(0.999),
    };
  }
}

export function formatRate(records: number, bytes: number, seconds: number): string {
  return `${(records / seconds).toFixed(1)} records/sec (${(bytes / seconds / 1024 / 1024).toFixed(2)} MB/sec)`;
}
