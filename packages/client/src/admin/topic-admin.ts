/** Topic administration: create, delete, list, describe, configs, offsets. */
import {
  Api,
  ErrorCode,
  earliestTimestamp,
  latestTimestamp,
  limits,
  type RequestOf,
  type ResponseOf,
} from '@tributary/protocol';
import type { CallOptions, CallScope } from '../abort.ts';
import { InvalidArgumentError, protocolError } from '../errors.ts';
import type { Cluster } from '../net/cluster.ts';

export type ToController = <A extends Api>(
  api: A,
  body: RequestOf<A>,
  scope: CallScope,
) => Promise<ResponseOf<A>>;

export interface NewTopic {
  readonly topic: string;
  /** Default 1. */
  readonly numPartitions?: number;
  /** Default 1. */
  readonly replicationFactor?: number;
  readonly configEntries?: readonly { name: string; value: string }[];
}

export interface PartitionDescription {
  readonly partitionId: number;
  readonly partitionErrorCode: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly learners: readonly number[];
}

export interface TopicOffsets {
  readonly partition: number;
  /** The high watermark (where the next record will go). */
  readonly offset: bigint;
  readonly high: bigint;
  readonly low: bigint;
}

function checkTopic(name: unknown): string {
  if (
    typeof name !== 'string' ||
    !limits.topicNamePattern.test(name) ||
    name.length > limits.topicNameLengthMax
  ) {
    throw protocolError(ErrorCode.InvalidTopic.code, `invalid topic name ${String(name)}`);
  }
  return name;
}

export class TopicAdmin {
  constructor(
    private readonly cluster: Cluster,
    private readonly toController: ToController,
  ) {}

  /** Creates topics; resolves false if they all existed already, true otherwise. */
  async createTopics(
    options: CallOptions & {
      topics: readonly NewTopic[];
      validateOnly?: boolean;
      waitForLeaders?: boolean;
    },
  ): Promise<boolean> {
    const topics = options.topics.map((t) => ({
      name: checkTopic(t.topic),
      partitions: t.numPartitions ?? 1,
      replicationFactor: t.replicationFactor ?? 1,
      configs: Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value])),
    }));
    const scope = this.scope('createTopics', options);
    try {
      const created = await this.createWithRetries(topics, options.validateOnly ?? false, scope);
      // Only topics this call created: one that existed may have a partition without a
      // leader (a broker down), which is no reason to fail. Either way, later metadata
      // reads of this client list it (the answer's metadata index makes them that fresh).
      if (created.length > 0 && options.waitForLeaders !== false && options.validateOnly !== true) {
        await this.waitForLeaders(created, scope);
      }
      return created.length > 0;
    } finally {
      scope.dispose();
    }
  }

  /**
   * CreateTopics until every topic has a final answer. A retriable per-topic error (the
   * controller lost its leadership mid-way, a request timed out inside the cluster) is
   * retried for that topic alone; its outcome was unknown, so TOPIC_ALREADY_EXISTS on the
   * retry means our earlier attempt created it. Returns the topics this call created.
   */
  private async createWithRetries(
    topics: RequestOf<typeof Api.CreateTopics>['topics'],
    validateOnly: boolean,
    scope: CallScope,
  ): Promise<string[]> {
    const pending = new Map(topics.map((t) => [t.name, t]));
    const ambiguous = new Set<string>();
    const created: string[] = [];
    await this.cluster.retry(scope, async () => {
      const response = await this.toController(
        Api.CreateTopics,
        { topics: [...pending.values()], timeoutMs: scope.remainingMs(), validateOnly },
        scope,
      );
      let retriable: Error | undefined;
      for (const result of response.topics) {
        const exists = result.error === ErrorCode.TopicAlreadyExists.code;
        if (result.error === ErrorCode.None.code || (exists && ambiguous.has(result.name))) {
          created.push(result.name);
        } else if (!exists) {
          const error = protocolError(result.error, `${result.name}: ${result.message ?? ''}`);
          if (!error.retriable) throw error;
          ambiguous.add(result.name);
          retriable = error;
          continue;
        }
        pending.delete(result.name);
      }
      if (retriable !== undefined) throw retriable;
    });
    return created;
  }

  async deleteTopics(options: CallOptions & { topics: readonly string[] }): Promise<void> {
    const names = options.topics.map(checkTopic);
    const scope = this.scope('deleteTopics', options);
    try {
      const pending = new Set(names);
      const ambiguous = new Set<string>();
      await this.cluster.retry(scope, async () => {
        const response = await this.toController(
          Api.DeleteTopics,
          { names: [...pending], timeoutMs: scope.remainingMs() },
          scope,
        );
        let retriable: Error | undefined;
        for (const result of response.topics) {
          // An earlier attempt whose outcome was unknown may have deleted it already.
          const gone =
            result.error === ErrorCode.UnknownTopicOrPartition.code && ambiguous.has(result.name);
          if (result.error !== ErrorCode.None.code && !gone) {
            const error = protocolError(result.error, `${result.name}: ${result.message ?? ''}`);
            if (!error.retriable) throw error;
            ambiguous.add(result.name);
            retriable = error;
            continue;
          }
          pending.delete(result.name);
        }
        if (retriable !== undefined) throw retriable;
      });
      this.cluster.markStale();
    } finally {
      scope.dispose();
    }
  }

  async listTopics(options: CallOptions = {}): Promise<string[]> {
    const scope = this.scope('listTopics', options);
    try {
      this.cluster.track('all');
      await this.cluster.retry(scope, () => this.cluster.refreshMetadata(scope));
      return this.cluster.metadata.topicNames().sort();
    } finally {
      scope.dispose();
    }
  }

  async fetchTopicMetadata(options: CallOptions & { topics?: readonly string[] } = {}) {
    const scope = this.scope('fetchTopicMetadata', options);
    try {
      const names = options.topics?.map(checkTopic);
      const response = await this.cluster.retry(scope, () =>
        this.cluster.requestMetadata(names === undefined ? null : [...names], scope),
      );
      return {
        topics: response.topics.map((topic) => {
          if (topic.error !== ErrorCode.None.code)
            throw protocolError(topic.error, `${topic.name}: ${topic.message ?? ''}`);
          return {
            name: topic.name,
            partitions: topic.partitions.map(
              (p): PartitionDescription => ({
                partitionId: p.partition,
                partitionErrorCode: p.error,
                leader: p.leader,
                leaderEpoch: p.leaderEpoch,
                replicas: p.replicas,
                learners: p.learners,
              }),
            ),
          };
        }),
      };
    } finally {
      scope.dispose();
    }
  }

  async describeConfigs(options: CallOptions & { topics: readonly string[] }) {
    const scope = this.scope('describeConfigs', options);
    try {
      const response = await this.toController(
        Api.DescribeConfigs,
        { topics: options.topics.map(checkTopic) },
        scope,
      );
      return response.topics.map((topic) => {
        if (topic.error !== ErrorCode.None.code)
          throw protocolError(topic.error, `${topic.name}: ${topic.message ?? ''}`);
        return { name: topic.name, configs: topic.configs };
      });
    } finally {
      scope.dispose();
    }
  }

  /** Sets (`set`) or returns to defaults (`delete`) topic configs. */
  async alterConfigs(
    options: CallOptions & {
      topics: readonly { name: string; set?: Record<string, string>; delete?: readonly string[] }[];
      validateOnly?: boolean;
    },
  ): Promise<void> {
    const topics = options.topics.map((t) => ({
      name: checkTopic(t.name),
      set: { ...t.set },
      delete: [...(t.delete ?? [])],
    }));
    const scope = this.scope('alterConfigs', options);
    try {
      const response = await this.toController(
        Api.AlterConfigs,
        { topics, validateOnly: options.validateOnly ?? false },
        scope,
      );
      const failed = response.topics.find((r) => r.error !== ErrorCode.None.code);
      if (failed !== undefined)
        throw protocolError(failed.error, `${failed.name}: ${failed.message ?? ''}`);
    } finally {
      scope.dispose();
    }
  }

  /** Per partition: the earliest (low) and latest (high) offsets. */
  async fetchTopicOffsets(topic: string, options: CallOptions = {}): Promise<TopicOffsets[]> {
    const scope = this.scope('fetchTopicOffsets', options);
    try {
      const low = await this.listOffsets(topic, earliestTimestamp, scope);
      const high = await this.listOffsets(topic, latestTimestamp, scope);
      return [...high].map(([partition, offset]) => ({
        partition,
        offset: BigInt(offset),
        high: BigInt(offset),
        low: BigInt(low.get(partition) ?? 0),
      }));
    } finally {
      scope.dispose();
    }
  }

  /** Per partition: the first offset at or after `timestampMs` (the high watermark if none). */
  async fetchTopicOffsetsByTimestamp(
    topic: string,
    timestampMs: number,
    options: CallOptions = {},
  ) {
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0)
      throw new InvalidArgumentError('invalid timestamp');
    const scope = this.scope('fetchTopicOffsetsByTimestamp', options);
    try {
      const found = await this.listOffsets(topic, timestampMs, scope);
      const high = await this.listOffsets(topic, latestTimestamp, scope);
      return [...high].map(([partition, end]) => {
        const at = found.get(partition) ?? -1;
        return { partition, offset: BigInt(at < 0 ? end : at) };
      });
    } finally {
      scope.dispose();
    }
  }

  /** ListOffsets for every partition of a topic, each asked of its leader. */
  async listOffsets(
    topic: string,
    timestamp: number,
    scope: CallScope,
  ): Promise<Map<number, number>> {
    checkTopic(topic);
    return this.cluster.retry(scope, async () => {
      await this.cluster.ensureTopics([topic], scope);
      const count = this.cluster.metadata.partitionCount(topic) ?? 0;
      const byLeader = new Map<number, number[]>();
      for (let partition = 0; partition < count; partition += 1) {
        const leader = this.cluster.leaderOf(topic, partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
      }
      const result = new Map<number, number>();
      await Promise.all(
        [...byLeader].map(async ([nodeId, partitions]) => {
          const response = await this.cluster.request(
            nodeId,
            Api.ListOffsets,
            {
              topics: [
                {
                  name: topic,
                  partitions: partitions.map((partition) => ({ partition, timestamp })),
                },
              ],
            },
            scope,
          );
          for (const p of response.topics[0]?.partitions ?? []) {
            if (p.error !== ErrorCode.None.code) {
              if (p.error === ErrorCode.NotLeader.code)
                this.cluster.noteNotLeader(topic, p.partition, p.leaderHint);
              throw protocolError(p.error, `${topic}/${p.partition}: ${p.message ?? ''}`, {
                nodeId,
              });
            }
            result.set(p.partition, p.offset);
          }
        }),
      );
      return new Map([...result].sort(([a], [b]) => a - b));
    });
  }

  private async waitForLeaders(topics: readonly string[], scope: CallScope): Promise<void> {
    await this.cluster.retry(scope, async () => {
      this.cluster.track(topics);
      await this.cluster.refreshMetadata(scope);
      for (const topic of topics) {
        const count = this.cluster.metadata.partitionCount(topic);
        if (count === undefined)
          throw protocolError(ErrorCode.LeaderNotAvailable.code, `${topic} not in metadata yet`);
        for (let p = 0; p < count; p += 1) this.cluster.leaderOf(topic, p);
      }
    });
  }

  private scope(what: string, options: CallOptions): CallScope {
    return this.cluster.scope(what, options, this.cluster.options.requestTimeoutMs);
  }
}
