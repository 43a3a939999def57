/**
 * Topics the framework needs (offsets, configs, status, task slots, dead letters): created
 * when missing, replicated on up to three brokers, compacted where only the last value per
 * key matters. Another worker creating the same topic at the same time is fine; transient
 * cluster errors (a controller election) are retried for up to `readBackTimeoutMs`.
 */
import type { Admin } from '@tributary/client';
import { ConnectError, isRetriable } from '../errors.ts';
import { limits } from '../limits.ts';
import { sleep } from './sleep.ts';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly compacted: boolean;
}

/** Creates the topic if missing; resolves with its partition count once metadata shows it. */
export async function ensureTopic(
  admin: Admin,
  spec: TopicSpec,
  signal?: AbortSignal,
): Promise<number> {
  // A worker starting while the cluster elects a controller (NOT_CONTROLLER, no leader
  // yet) used to die at start-up; transient errors are waited out, within a bound.
  const deadline = Date.now() + limits.readBackTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const existing = await createIfMissing(admin, spec, signal);
      if (existing !== undefined) return existing;
      // Created here or by another worker a moment ago: the client reads metadata at least
      // as fresh as the creation's answer (TOPIC_ALREADY_EXISTS carries the index too), so
      // it is listed. Missing now means deleted meanwhile: create it again.
      const partitions = await partitionCount(admin, spec.topic, signal);
      if (partitions === undefined) {
        throw new ConnectError(
          'TOPIC_NOT_READY',
          `topic ${spec.topic} was deleted right after it was ensured`,
          {
            retriable: true,
          },
        );
      }
      return partitions;
    } catch (error) {
      if (!isRetriable(error) || signal?.aborted || Date.now() > deadline) throw error;
      await sleep(Math.min(topicRetryMsMax, 100 * 2 ** attempt), signal);
    }
  }
}

const topicRetryMsMax = 2_000;

/** The partition count of an existing topic; undefined when it had to be created. */
async function createIfMissing(
  admin: Admin,
  spec: TopicSpec,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const existing = await partitionCount(admin, spec.topic, signal);
  if (existing !== undefined) return existing;
  const cluster = await admin.describeCluster(signal === undefined ? {} : { signal });
  const brokers = cluster.brokers.filter((broker) => broker.alive).length;
  const replicationFactor = Math.max(1, Math.min(limits.internalTopicReplicationMax, brokers));
  await admin.createTopics({
    topics: [
      {
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor,
        configEntries: spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      },
    ],
    waitForLeaders: true,
    ...(signal === undefined ? {} : { signal }),
  });
  return undefined;
}

/** The topic's partition count, or undefined if it does not exist. */
export async function partitionCount(
  admin: Admin,
  topic: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  try {
    const { topics } = await admin.fetchTopicMetadata({
      topics: [topic],
      ...(signal === undefined ? {} : { signal }),
    });
    const found = topics.find((t) => t.name === topic);
    return found === undefined || found.partitions.length === 0
      ? undefined
      : found.partitions.length;
  } catch (error) {
    if ((error as { code?: string }).code === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined;
    throw error;
  }
}
