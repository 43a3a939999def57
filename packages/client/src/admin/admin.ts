/**
 * Administration, shaped like KafkaJS's admin client: topics (create, delete, list,
 * describe, configs), groups (list, describe with per-partition lag, delete, reset
 * offsets), the cluster (describe, preferred-leader election, replica reassignment).
 * Topic and cluster changes go to the controller (and follow it when it moves); group
 * requests go to each group's coordinator. Offsets are bigint.
 */
import { Api, ErrorCode, type RequestOf, type ResponseOf } from '@tributary/protocol';
import type { CallOptions, CallScope } from '../abort.ts';
import { IllegalStateError, protocolError } from '../errors.ts';
import type { Cluster } from '../net/cluster.ts';
import { GroupAdmin } from './group-admin.ts';
import { TopicAdmin } from './topic-admin.ts';

export class Admin {
  private connected = false;
  readonly topics: TopicAdmin;
  readonly groups: GroupAdmin;

  constructor(private readonly cluster: Cluster) {
    this.topics = new TopicAdmin(cluster, (api, body, scope) =>
      this.toController(api, body, scope),
    );
    this.groups = new GroupAdmin(cluster, this.topics);
  }

  async connect(options: CallOptions = {}): Promise<void> {
    const scope = this.cluster.scope('connect', options, this.cluster.options.requestTimeoutMs);
    try {
      await this.cluster.connect(scope);
      this.cluster.track('all');
      this.connected = true;
    } finally {
      scope.dispose();
    }
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    await this.cluster.close();
  }

  // Topics (see topic-admin.ts for the shapes).
  createTopics: TopicAdmin['createTopics'] = (options) =>
    this.ready(() => this.topics.createTopics(options));
  deleteTopics: TopicAdmin['deleteTopics'] = (options) =>
    this.ready(() => this.topics.deleteTopics(options));
  listTopics: TopicAdmin['listTopics'] = (options) =>
    this.ready(() => this.topics.listTopics(options));
  fetchTopicMetadata: TopicAdmin['fetchTopicMetadata'] = (options) =>
    this.ready(() => this.topics.fetchTopicMetadata(options));
  describeTopics: TopicAdmin['fetchTopicMetadata'] = (options) =>
    this.ready(() => this.topics.fetchTopicMetadata(options));
  describeConfigs: TopicAdmin['describeConfigs'] = (options) =>
    this.ready(() => this.topics.describeConfigs(options));
  alterConfigs: TopicAdmin['alterConfigs'] = (options) =>
    this.ready(() => this.topics.alterConfigs(options));
  fetchTopicOffsets: TopicAdmin['fetchTopicOffsets'] = (topic, options) =>
    this.ready(() => this.topics.fetchTopicOffsets(topic, options));
  fetchTopicOffsetsByTimestamp: TopicAdmin['fetchTopicOffsetsByTimestamp'] = (
    topic,
    timestampMs,
    options,
  ) => this.ready(() => this.topics.fetchTopicOffsetsByTimestamp(topic, timestampMs, options));

  // Groups (see group-admin.ts).
  listGroups: GroupAdmin['listGroups'] = (options) =>
    this.ready(() => this.groups.listGroups(options));
  describeGroups: GroupAdmin['describeGroups'] = (groupIds, options) =>
    this.ready(() => this.groups.describeGroups(groupIds, options));
  deleteGroups: GroupAdmin['deleteGroups'] = (groupIds, options) =>
    this.ready(() => this.groups.deleteGroups(groupIds, options));
  fetchOffsets: GroupAdmin['fetchOffsets'] = (options) =>
    this.ready(() => this.groups.fetchOffsets(options));
  resetOffsets: GroupAdmin['resetOffsets'] = (options) =>
    this.ready(() => this.groups.resetOffsets(options));
  setOffsets: GroupAdmin['setOffsets'] = (options) =>
    this.ready(() => this.groups.setOffsets(options));

  /** Brokers with liveness, the controller, and partition health. */
  describeCluster(options: CallOptions = {}) {
    return this.ready(async () => {
      const scope = this.cluster.scope(
        'describeCluster',
        options,
        this.cluster.options.requestTimeoutMs,
      );
      try {
        return await this.toController(Api.DescribeCluster, {}, scope);
      } finally {
        scope.dispose();
      }
    });
  }

  /** Moves leadership back to each partition's preferred (first) replica; all topics when omitted. */
  electLeaders(options: CallOptions & { topics?: { topic: string; partitions: number[] }[] } = {}) {
    return this.ready(() =>
      this.partitionAdmin(Api.ElectLeaders, 'electLeaders', options, {
        topics: options.topics?.map((t) => ({ name: t.topic, partitions: t.partitions })) ?? null,
        timeoutMs: options.timeoutMs ?? this.cluster.options.requestTimeoutMs,
      }),
    );
  }

  /** Gives partitions new replica lists (new replicas catch up as learners first). */
  alterPartitionReassignments(
    options: CallOptions & {
      topics: { topic: string; partitions: { partition: number; replicas: number[] }[] }[];
    },
  ) {
    return this.ready(() =>
      this.partitionAdmin(Api.AlterPartitionReassignments, 'alterPartitionReassignments', options, {
        topics: options.topics.map((t) => ({ name: t.topic, partitions: t.partitions })),
        timeoutMs: options.timeoutMs ?? this.cluster.options.requestTimeoutMs,
      }),
    );
  }

  private async partitionAdmin<
    A extends typeof Api.ElectLeaders | typeof Api.AlterPartitionReassignments,
  >(api: A, what: string, options: CallOptions, body: RequestOf<A>) {
    const scope = this.cluster.scope(what, options, this.cluster.options.requestTimeoutMs * 2);
    try {
      const response = (await this.toController(api, body, scope)) as ResponseOf<
        typeof Api.ElectLeaders
      >;
      const failed = response.results.find((r) => r.error !== ErrorCode.None.code);
      if (failed !== undefined) {
        throw protocolError(
          failed.error,
          `${failed.name}/${failed.partition}: ${failed.message ?? ''}`,
        );
      }
      return response.results.map((r) => ({ topic: r.name, partition: r.partition }));
    } finally {
      scope.dispose();
    }
  }

  /** Sends to the controller, following it when it moves (NOT_CONTROLLER refreshes metadata). */
  private toController<A extends Api>(
    api: A,
    body: RequestOf<A>,
    scope: CallScope,
  ): Promise<ResponseOf<A>> {
    return this.cluster.retry(scope, async () => {
      await this.cluster.ensureFresh(scope);
      const controller = this.cluster.metadata.controllerId;
      try {
        if (controller < 0) {
          this.cluster.markStale();
          throw protocolError(ErrorCode.NotController.code, 'no controller known');
        }
        const response = await this.cluster.request(
          controller,
          api,
          body,
          scope,
          this.cluster.options.requestTimeoutMs,
        );
        // Topic changes name the metadata index they were applied at: later metadata reads
        // of this client ask for at least it (see Cluster.requestMetadata).
        const { metadataIndex } = response as { metadataIndex?: number };
        this.cluster.noteMetadataIndex(metadataIndex);
        return response;
      } catch (error) {
        this.cluster.markStale();
        throw error;
      }
    });
  }

  /** Runs `body` once connected; synchronous validation errors become rejections. */
  private ready<T>(body: () => Promise<T>): Promise<T> {
    if (!this.connected)
      return Promise.reject(new IllegalStateError('admin not connected: call connect() first'));
    try {
      return body();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
