/**
 * The controller: the metadata group's leader turns administrative requests into metadata
 * records, after checking them against the current state, and tracks broker liveness from
 * heartbeats (kept in memory, not in the log: only the leader needs it, and a new leader
 * gives every broker a fresh session before judging it).
 */
import {
  type AlterConfigsRequest,
  type CreateTopicsRequest,
  type DeleteTopicsRequest,
  type ElectLeadersRequest,
  ErrorCode,
  type ErrorCodeInfo,
  type PartitionResults,
  ProtocolError,
  type TopicResult,
} from '@tributary/protocol';
import type { Logger } from '../logger.ts';
import { placeReplicas } from '../metadata/placement.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import type { ApplyResult, MetadataState } from '../metadata/state.ts';
import { checkTopicConfigs } from '../metadata/topic-configs.ts';

export interface MetadataLog {
  /**
   * Proposes a record to the metadata group and resolves with its apply result once it is
   * committed and applied here. Rejects with NOT_CONTROLLER when this node does not lead.
   */
  propose(record: MetadataRecord, timeoutMs: number): Promise<ApplyResult>;
  isLeader(): boolean;
}

export const offsetsTopicName = '__consumer_offsets';

export interface ControllerOptions {
  readonly state: MetadataState;
  readonly log: MetadataLog;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly brokerSessionMs: number;
  readonly defaultReplicationFactor: number;
  readonly offsetsTopicPartitions: number;
  /** How many voters the cluster was bootstrapped with: the offsets topic's replication. */
  readonly bootstrapVoterCount: number;
}

interface Liveness {
  lastHeartbeatMs: number;
  incarnation: string;
}

function result(name: string, error: ErrorCodeInfo, message?: string): TopicResult {
  return message === undefined ? { name, error: error.code } : { name, error: error.code, message };
}

function resultOf(name: string, applied: ApplyResult): TopicResult {
  return applied.ok ? result(name, ErrorCode.None) : result(name, applied.error, applied.message);
}

export class Controller {
  private readonly liveness = new Map<number, Liveness>();
  /** When this node last became leader: every broker gets one session of grace from then. */
  private leaderSinceMs = 0;
  private wasLeader = false;

  constructor(private readonly options: ControllerOptions) {}

  private get state(): MetadataState {
    return this.options.state;
  }

  /** Throws NOT_CONTROLLER unless this node leads the metadata group. */
  requireLeader(): void {
    const leading = this.options.log.isLeader();
    if (leading && !this.wasLeader) this.leaderSinceMs = this.options.nowMs();
    this.wasLeader = leading;
    if (!leading) throw new ProtocolError(ErrorCode.NotController);
  }

  isAlive(nodeId: number): boolean {
    if (!this.state.brokers.has(nodeId)) return false;
    const now = this.options.nowMs();
    const last = Math.max(this.liveness.get(nodeId)?.lastHeartbeatMs ?? 0, this.leaderSinceMs);
    return now - last <= this.options.brokerSessionMs;
  }

  heartbeatAgeMs(nodeId: number): number {
    const last = this.liveness.get(nodeId)?.lastHeartbeatMs;
    return last === undefined ? -1 : this.options.nowMs() - last;
  }

  liveBrokers(): number[] {
    return [...this.state.brokers.keys()].filter((id) => this.isAlive(id)).sort((a, b) => a - b);
  }

  noteHeartbeat(nodeId: number, incarnation: string): void {
    this.liveness.set(nodeId, { lastHeartbeatMs: this.options.nowMs(), incarnation });
  }

  async registerBroker(
    record: Extract<MetadataRecord, { type: 'register-broker' }>,
  ): Promise<ApplyResult> {
    this.requireLeader();
    this.noteHeartbeat(record.nodeId, record.incarnation);
    const known = this.state.brokers.get(record.nodeId);
    const same =
      known?.host === record.host &&
      known.port === record.port &&
      known.peerUrl === record.peerUrl &&
      known.incarnation === record.incarnation;
    return same ? { ok: true } : this.options.log.propose(record, 10_000);
  }

  /** Records the partition leaderships a broker reports, where they are news. */
  async reportLeaderships(
    nodeId: number,
    leaderships: readonly { groupId: number; term: number }[],
  ): Promise<void> {
    this.requireLeader();
    const proposals: Promise<ApplyResult>[] = [];
    for (const { groupId, term } of leaderships) {
      const partition = this.state.partitionsByGroup.get(groupId);
      if (!partition) continue;
      if (term < partition.leaderTerm) continue;
      if (term === partition.leaderTerm && partition.leader === nodeId) continue;
      proposals.push(
        this.options.log.propose(
          { type: 'partition-leader', groupId, leader: nodeId, term },
          10_000,
        ),
      );
    }
    await Promise.all(proposals);
  }

  async reportReassignmentsDone(
    done: readonly { groupId: number; replicas: number[] }[],
  ): Promise<void> {
    this.requireLeader();
    for (const { groupId, replicas } of done) {
      const partition = this.state.partitionsByGroup.get(groupId);
      if (!partition?.targetReplicas) continue;
      const target = [...partition.targetReplicas].sort((a, b) => a - b);
      const reached = [...replicas].sort((a, b) => a - b);
      if (target.join(',') !== reached.join(',')) continue;
      const applied = await this.options.log.propose(
        { type: 'complete-reassignment', groupId, replicas: partition.targetReplicas },
        10_000,
      );
      this.options.logger.info('reassignment completed', { groupId, replicas, ok: applied.ok });
    }
  }

  async allocateProducerIds(nodeId: number, count: number): Promise<number> {
    this.requireLeader();
    const applied = await this.options.log.propose(
      { type: 'allocate-producer-ids', nodeId, count },
      10_000,
    );
    if (!applied.ok || applied.value === undefined)
      throw new ProtocolError(ErrorCode.UnknownServerError, 'producer id allocation failed');
    return applied.value;
  }

  private checkNewTopic(
    topic: CreateTopicsRequest['topics'][number],
    internal: boolean,
  ): TopicResult | number[][] {
    const { name } = topic;
    if (this.state.topics.has(name))
      return result(name, ErrorCode.TopicAlreadyExists, `topic ${name} exists`);
    if (name === '.' || name === '..') return result(name, ErrorCode.InvalidTopic, 'reserved name');
    if (name.startsWith('__') && !internal)
      return result(name, ErrorCode.InvalidTopic, 'names starting with __ are internal');
    const problems = checkTopicConfigs(topic.configs);
    if (problems.length > 0) return result(name, ErrorCode.InvalidConfig, problems.join('; '));
    const live = this.liveBrokers();
    if (topic.replicationFactor > live.length) {
      return result(
        name,
        ErrorCode.InvalidReplicationFactor,
        `replication factor ${topic.replicationFactor} exceeds ${live.length} live brokers`,
      );
    }
    return placeReplicas(this.state.brokerLoads(live), topic.partitions, topic.replicationFactor);
  }

  async createTopics(request: CreateTopicsRequest, internal = false): Promise<TopicResult[]> {
    this.requireLeader();
    const seen = new Set<string>();
    return Promise.all(
      request.topics.map(async (topic) => {
        if (seen.has(topic.name))
          return result(topic.name, ErrorCode.InvalidRequest, 'named twice in one request');
        seen.add(topic.name);
        const checked = this.checkNewTopic(topic, internal);
        if (!Array.isArray(checked)) return checked;
        if (request.validateOnly) return result(topic.name, ErrorCode.None);
        const record: MetadataRecord = {
          type: 'create-topic',
          name: topic.name,
          assignment: checked,
          configs: topic.configs,
          internal,
        };
        return resultOf(topic.name, await this.proposeWithin(record, request.timeoutMs));
      }),
    );
  }

  async deleteTopics(request: DeleteTopicsRequest): Promise<TopicResult[]> {
    this.requireLeader();
    return Promise.all(
      request.names.map(async (name) => {
        const topic = this.state.topics.get(name);
        if (!topic) return result(name, ErrorCode.UnknownTopicOrPartition, `no topic ${name}`);
        if (topic.internal)
          return result(name, ErrorCode.InvalidTopic, 'internal topics cannot be deleted');
        return resultOf(
          name,
          await this.proposeWithin({ type: 'delete-topic', name }, request.timeoutMs),
        );
      }),
    );
  }

  async alterConfigs(request: AlterConfigsRequest): Promise<TopicResult[]> {
    this.requireLeader();
    return Promise.all(
      request.topics.map(async (change) => {
        const topic = this.state.topics.get(change.name);
        if (!topic)
          return result(change.name, ErrorCode.UnknownTopicOrPartition, `no topic ${change.name}`);
        const next = { ...topic.configs, ...change.set };
        for (const key of change.delete) delete next[key];
        const problems = checkTopicConfigs(next);
        if (problems.length > 0)
          return result(change.name, ErrorCode.InvalidConfig, problems.join('; '));
        if (request.validateOnly) return result(change.name, ErrorCode.None);
        const record: MetadataRecord = {
          type: 'alter-topic-configs',
          name: change.name,
          set: change.set,
          delete: change.delete,
        };
        return resultOf(change.name, await this.proposeWithin(record, 10_000));
      }),
    );
  }

  async reassignPartition(
    topic: string,
    partition: number,
    replicas: number[],
  ): Promise<ApplyResult> {
    this.requireLeader();
    const record = this.state.partition(topic, partition);
    if (!record)
      return {
        ok: false,
        error: ErrorCode.UnknownTopicOrPartition,
        message: `no ${topic}/${partition}`,
      };
    const dead = replicas.find((id) => !this.isAlive(id));
    if (dead !== undefined)
      return {
        ok: false,
        error: ErrorCode.InvalidReplicaAssignment,
        message: `broker ${dead} is not alive`,
      };
    if (new Set(replicas).size !== replicas.length || replicas.length === 0) {
      return {
        ok: false,
        error: ErrorCode.InvalidReplicaAssignment,
        message: 'replica list empty or with duplicates',
      };
    }
    return this.proposeWithin(
      { type: 'reassign-partition', groupId: record.groupId, targetReplicas: replicas },
      10_000,
    );
  }

  /** Asks leaders to move to preferred replicas; returns the partitions it asked for. */
  async electPreferredLeaders(request: ElectLeadersRequest): Promise<PartitionResults['results']> {
    this.requireLeader();
    const results: PartitionResults['results'] = [];
    const groupIds: number[] = [];
    const wanted =
      request.topics ??
      [...this.state.topics.values()].map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => p.partition),
      }));
    for (const { name, partitions } of wanted) {
      for (const partition of partitions) {
        const record = this.state.partition(name, partition);
        if (!record) {
          results.push({
            name,
            partition,
            error: ErrorCode.UnknownTopicOrPartition.code,
            message: 'no such partition',
          });
          continue;
        }
        groupIds.push(record.groupId);
        results.push({ name, partition, error: 0 });
      }
    }
    if (groupIds.length > 0) {
      const applied = await this.proposeWithin(
        { type: 'elect-preferred-leaders', groupIds },
        request.timeoutMs,
      );
      if (!applied.ok)
        return results.map((r) =>
          r.error === 0 ? { ...r, error: applied.error.code, message: applied.message } : r,
        );
    }
    return results;
  }

  async unregisterBroker(nodeId: number): Promise<ApplyResult> {
    this.requireLeader();
    return this.proposeWithin({ type: 'unregister-broker', nodeId }, 10_000);
  }

  /** Creates `__consumer_offsets` once enough brokers are alive to replicate it fully. */
  async ensureInternalTopics(): Promise<void> {
    if (!this.options.log.isLeader() || this.state.topics.has(offsetsTopicName)) return;
    const replication = Math.min(
      this.options.defaultReplicationFactor,
      this.options.bootstrapVoterCount,
    );
    if (this.liveBrokers().length < replication) return;
    const [created] = await this.createTopics(
      {
        topics: [
          {
            name: offsetsTopicName,
            partitions: this.options.offsetsTopicPartitions,
            replicationFactor: replication,
            configs: { 'cleanup.policy': 'compact' },
          },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      },
      true,
    );
    if (created && created.error !== 0 && created.error !== ErrorCode.TopicAlreadyExists.code) {
      this.options.logger.warn('could not create the offsets topic', {
        error: created.error,
        message: created.message,
      });
    }
  }

  private async proposeWithin(record: MetadataRecord, timeoutMs: number): Promise<ApplyResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ApplyResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            error: ErrorCode.RequestTimedOut,
            message: 'not committed in time; it may still complete',
          }),
        Math.max(timeoutMs, 1),
      );
    });
    try {
      return await Promise.race([this.options.log.propose(record, timeoutMs), timeout]);
    } catch (error) {
      if (error instanceof ProtocolError)
        return {
          ok: false,
          error: {
            code: error.code,
            name: error.errorName,
            retriable: error.retriable,
            description: error.message,
          },
          message: error.message,
        };
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
