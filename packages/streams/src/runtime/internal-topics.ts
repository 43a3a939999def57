/**
 * Creating the application's internal topics before it runs: repartition topics (sized by
 * `resolvePartitionCounts`) and one compacted changelog topic per logged store, with as
 * many partitions as its sub-topology has tasks. Existing topics are checked, not changed:
 * a wrong partition count is an error, since keys would land in the wrong tasks.
 */
import { type PartitionCounts, resolvePartitionCounts } from '../engine/partition-counts.ts';
import { changelogTopic, dedupStoreName, resolveTopic } from '../engine/task.ts';
import type { Topology } from '../engine/topology.ts';
import { StreamsError } from '../errors.ts';
import { topicCreateAttemptMs, topicCreateMsMax } from '../limits.ts';
import type { AdminPort } from './client-port.ts';
import { retryRetriable } from './retry.ts';

export interface InternalTopic {
  readonly name: string;
  readonly partitions: number;
  readonly compacted: boolean;
}

export async function sourcePartitionCounts(
  admin: AdminPort,
  topology: Topology,
  applicationId: string,
): Promise<PartitionCounts> {
  const external = topology
    .sourceTopics()
    .filter((t) => !t.internal)
    .map((t) => t.name);
  const metadata = await admin
    .fetchTopicMetadata({ topics: external })
    .catch(() => ({ topics: [] }));
  const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  return resolvePartitionCounts(topology, applicationId, (topic) => counts.get(topic));
}

/** Output topics must exist before the application starts (as in Kafka Streams). */
export async function checkOutputTopics(admin: AdminPort, topology: Topology): Promise<void> {
  const outputs = [
    ...new Set(
      topology.subtopologies
        .flatMap((s) => s.sinkTopics)
        .filter((t) => !t.internal)
        .map((t) => t.name),
    ),
  ];
  if (outputs.length === 0) return;
  const metadata = await admin
    .fetchTopicMetadata({ topics: outputs })
    .catch(() => ({ topics: [] }));
  const found = new Set(metadata.topics.map((t) => t.name));
  const missing = outputs.filter((t) => !found.has(t));
  if (missing.length > 0) throw new MissingOutputTopicError(missing);
}

export class MissingOutputTopicError extends StreamsError {
  constructor(readonly topics: readonly string[]) {
    super(
      'MISSING_OUTPUT_TOPIC',
      `output topics do not exist: ${topics.join(', ')}; create them before starting`,
      { retriable: true },
    );
    this.name = 'MissingOutputTopicError';
  }
}

export function internalTopicsOf(
  topology: Topology,
  applicationId: string,
  counts: PartitionCounts,
): InternalTopic[] {
  const topics: InternalTopic[] = [];
  for (const ref of topology.repartitionTopics()) {
    const name = resolveTopic(applicationId, ref);
    topics.push({ name, partitions: counts.get(name) as number, compacted: false });
  }
  for (const sub of topology.subtopologies) {
    const first = sub.sourceTopics[0];
    const partitions = first ? (counts.get(resolveTopic(applicationId, first)) as number) : 0;
    const stores = sub.stores.filter((s) => s.logged).map((s) => s.name);
    if (sub.sourceTopics.some((t) => t.internal)) stores.push(dedupStoreName(sub.id));
    for (const store of stores)
      topics.push({ name: changelogTopic(applicationId, store), partitions, compacted: true });
  }
  return topics;
}

export async function ensureInternalTopics(
  admin: AdminPort,
  topics: readonly InternalTopic[],
  replicationFactor: number,
): Promise<void> {
  for (const topic of topics) await createTopic(admin, topic, replicationFactor);
  if (topics.length === 0) return;
  // The client reads metadata at least as fresh as each creation's answer (here or by
  // another instance: TOPIC_ALREADY_EXISTS carries the index too), from whichever broker it
  // asks, so every topic just ensured is listed; one deleted meanwhile fails loudly
  // (UNKNOWN_TOPIC_OR_PARTITION) rather than being left out of the first assignment.
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
  for (const topic of topics) {
    const found = metadata.topics.find((t) => t.name === topic.name);
    if (found && found.partitions.length !== topic.partitions) {
      throw new StreamsError(
        'INTERNAL_TOPIC_MISMATCH',
        `internal topic ${topic.name} has ${found.partitions.length} partitions, the topology needs ${topic.partitions}; delete it (and reset the application) to change partition counts`,
      );
    }
  }
}

/**
 * Creates a topic (an existing one is left as it is), retrying retriable errors: a busy
 * cluster may move its controller or be slow to elect leaders while the application starts.
 */
async function createTopic(
  admin: AdminPort,
  topic: InternalTopic,
  replicationFactor: number,
): Promise<void> {
  const create = async () => {
    try {
      await admin.createTopics({
        topics: [
          {
            topic: topic.name,
            numPartitions: topic.partitions,
            replicationFactor,
            configEntries: topic.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
          },
        ],
        waitForLeaders: true,
        timeoutMs: topicCreateAttemptMs,
      });
    } catch (error) {
      if ((error as { code?: string }).code !== 'TOPIC_ALREADY_EXISTS') throw error;
    }
  };
  await retryRetriable(create, {
    deadline: Date.now() + topicCreateMsMax,
    backoffMsInitial: 200,
    backoffMsMax: 2_000,
  });
}
