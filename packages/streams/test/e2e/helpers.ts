/**
 * A real cluster (child processes via @tributary/launch) for the streams end-to-end tests,
 * plus helpers: a client, creating topics, producing, reading a topic to its end, and
 * waiting for conditions with generous deadlines.
 */
import { Client, type ConsumerMessage, silentLogger } from '@tributary/client';
import type { LocalCluster } from '@tributary/launch';
import { readTopic, startScratchCluster, until as untilHolds } from '@tributary/launch/testing';

export interface TestCluster {
  readonly cluster: LocalCluster;
  readonly dataDir: string;
  client(clientId?: string): Client;
  createTopic(topic: string, partitions: number, compacted?: boolean): Promise<void>;
  produce(
    topic: string,
    messages: {
      key: string | null;
      value: string | null;
      timestamp?: number;
      partition?: number;
    }[],
  ): Promise<void>;
  /** Whether group `groupId` has committed offsets at the end of every partition of `topic`. */
  committedToEnd(groupId: string, topic: string): Promise<boolean>;
  /** Every record of a topic up to its current end. */
  readAll(topic: string): Promise<ConsumerMessage[]>;
  close(): Promise<void>;
}

export async function startTestCluster(nodes = 3): Promise<TestCluster> {
  const scratch = await startScratchCluster({
    name: 'streams-e2e',
    nodes,
    settings: { tickMs: 20 },
  });
  const { cluster, dir: dataDir } = scratch;
  const client = (clientId = 'streams-e2e') =>
    new Client({
      clientId,
      brokers: cluster.bootstrap,
      logger: silentLogger,
      requestTimeoutMs: 10_000,
      retry: { backoffMsInitial: 50, backoffMsMax: 500 },
    });
  const shared = client('streams-e2e-tools');
  const admin = shared.admin();
  await admin.connect();
  const producer = shared.producer();
  await producer.connect();
  return {
    cluster,
    dataDir,
    client,
    async createTopic(topic, partitions, compacted = false) {
      // A loaded cluster may move its controller or elect leaders slowly: retry what may be.
      const deadline = Date.now() + 120_000;
      for (;;) {
        try {
          await admin.createTopics({
            topics: [
              {
                topic,
                numPartitions: partitions,
                replicationFactor: Math.min(3, nodes),
                configEntries: compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
              },
            ],
            waitForLeaders: true,
            timeoutMs: 30_000,
          });
          return;
        } catch (error) {
          // A broker of a loaded cluster can miss its liveness deadline for a while; the
          // controller then refuses replication factor 3 until it is back.
          const brokerAway = /live brokers/.test(String((error as Error).message));
          const retriable = (error as { retriable?: boolean }).retriable === true || brokerAway;
          if (!retriable || Date.now() > deadline) {
            const running = cluster.nodes.map((n) => `${n.nodeId}: ${cluster.isRunning(n.nodeId)}`);
            throw new Error(`cannot create ${topic} (node processes running: ${running})`, {
              cause: error,
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    },
    async produce(topic, messages) {
      await producer.send({ topic, messages });
    },
    async committedToEnd(groupId, topic) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.every((end) => {
        const entry = committed?.partitions.find((p) => p.partition === end.partition);
        return end.high === 0n || entry?.offset === end.high;
      });
    },
    readAll: (topic) => readTopic(client('streams-e2e-reader'), admin, topic),
    async close() {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await scratch.close();
    },
  };
}

/** Polls `condition` (every 300 ms: each poll may read whole topics) until it holds. */
export const until = (
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 180_000,
): Promise<void> => untilHolds(what, condition, timeoutMs, 300);

/**
 * One copy of each record: every record the streams runtime writes carries its origin
 * (`tributary.origin`: input topic, partition, offset, sequence), and a replay after a
 * crash or a refused commit writes the same records with the same origins again.
 */
export function distinctByOrigin(messages: readonly ConsumerMessage[]): ConsumerMessage[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    const origin = m.headers['tributary.origin'];
    if (origin === undefined) throw new Error(`record ${m.topic}@${m.offset} has no origin`);
    const id = `${m.topic} ${m.partition} ${origin.toString()}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The latest value per key of a topic's records (null deletes), as strings. */
export function latestByKey(
  messages: readonly ConsumerMessage[],
  decodeValue: (b: Buffer) => string = (b) => b.toString(),
): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of messages) {
    if (m.key === null) continue;
    if (m.value === null) map.delete(m.key.toString('latin1'));
    else map.set(m.key.toString('latin1'), decodeValue(m.value));
  }
  return map;
}
