/**
 * The cluster metadata as every node knows it: brokers, topics, partitions (each with its
 * Raft group id, replica list and last reported leader) and counters. It changes only by
 * applying metadata records in log order, which makes it identical on every node that has
 * applied the same prefix. Applying never throws on a record that is well-formed but no
 * longer applicable (a topic created twice by racing proposals); it reports why instead.
 */
import { ErrorCode, type ErrorCodeInfo } from '@tributary/protocol';
import { Packr } from 'msgpackr';
import { assert } from '../errors.ts';
import type {
  AlterTopicConfigsRecord,
  CreateTopicRecord,
  MetadataRecord,
  PartitionLeaderRecord,
  RegisterBrokerRecord,
} from './records.ts';
import { checkTopicConfigs } from './topic-configs.ts';

export interface BrokerRecord {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly peerUrl: string;
  readonly incarnation: string;
}

export interface PartitionRecord {
  readonly topic: string;
  readonly partition: number;
  readonly groupId: number;
  /** The replica list the partition was created with: every replica's Raft bootstrap. */
  readonly initialReplicas: readonly number[];
  replicas: number[];
  /** The replica list a reassignment is moving to, or null when none is under way. */
  targetReplicas: number[] | null;
  leader: number;
  leaderTerm: number;
}

export interface TopicRecord {
  readonly name: string;
  readonly internal: boolean;
  configs: Record<string, string>;
  readonly partitions: PartitionRecord[];
}

export type ApplyResult =
  | { readonly ok: true; readonly value?: number }
  | { readonly ok: false; readonly error: ErrorCodeInfo; readonly message: string };

/** What changed, so the node can act: create or drop replicas, move leadership, and so on. */
export type MetadataChange =
  | { readonly kind: 'broker-registered'; readonly broker: BrokerRecord }
  | { readonly kind: 'broker-unregistered'; readonly nodeId: number }
  | { readonly kind: 'topic-created'; readonly topic: TopicRecord }
  | { readonly kind: 'topic-deleted'; readonly topic: TopicRecord }
  | { readonly kind: 'topic-configs-changed'; readonly topic: TopicRecord }
  | { readonly kind: 'partition-leader'; readonly partition: PartitionRecord }
  | { readonly kind: 'reassignment-started'; readonly partition: PartitionRecord }
  | { readonly kind: 'reassignment-completed'; readonly partition: PartitionRecord }
  | { readonly kind: 'preferred-leaders-requested'; readonly groupIds: readonly number[] };

/** The first Raft group id given to a partition; 0 is the metadata group itself. */
export const firstPartitionGroupId = 1;
export const firstProducerId = 1000;

const ok: ApplyResult = { ok: true };
function refuse(error: ErrorCodeInfo, message: string): ApplyResult {
  return { ok: false, error, message };
}

export class MetadataState {
  readonly brokers = new Map<number, BrokerRecord>();
  readonly topics = new Map<string, TopicRecord>();
  readonly partitionsByGroup = new Map<number, PartitionRecord>();
  nextGroupId = firstPartitionGroupId;
  nextProducerId = firstProducerId;
  /** The metadata log index of the last record applied. */
  appliedIndex = 0;

  apply(index: number, record: MetadataRecord, changes: MetadataChange[] = []): ApplyResult {
    if (!(index > this.appliedIndex))
      assert(false, `metadata index ${index} applied after ${this.appliedIndex}`);
    this.appliedIndex = index;
    switch (record.type) {
      case 'register-broker':
        return this.registerBroker(record, changes);
      case 'unregister-broker':
        return this.unregisterBroker(record.nodeId, changes);
      case 'create-topic':
        return this.createTopic(record, changes);
      case 'delete-topic':
        return this.deleteTopic(record.name, changes);
      case 'alter-topic-configs':
        return this.alterTopicConfigs(record, changes);
      case 'partition-leader':
        return this.setPartitionLeader(record, changes);
      case 'reassign-partition':
        return this.startReassignment(record.groupId, record.targetReplicas, changes);
      case 'complete-reassignment':
        return this.completeReassignment(record.groupId, record.replicas, changes);
      case 'elect-preferred-leaders':
        changes.push({ kind: 'preferred-leaders-requested', groupIds: record.groupIds });
        return ok;
      case 'allocate-producer-ids': {
        const first = this.nextProducerId;
        this.nextProducerId += record.count;
        return { ok: true, value: first };
      }
    }
  }

  private registerBroker(record: RegisterBrokerRecord, changes: MetadataChange[]): ApplyResult {
    const { type: _type, ...broker } = record;
    this.brokers.set(broker.nodeId, broker);
    changes.push({ kind: 'broker-registered', broker });
    return ok;
  }

  private unregisterBroker(nodeId: number, changes: MetadataChange[]): ApplyResult {
    if (!this.brokers.has(nodeId))
      return refuse(ErrorCode.BrokerNotAvailable, `no broker ${nodeId}`);
    for (const partition of this.partitionsByGroup.values()) {
      if (partition.replicas.includes(nodeId) || partition.targetReplicas?.includes(nodeId)) {
        return refuse(
          ErrorCode.InvalidRequest,
          `broker ${nodeId} still holds ${partition.topic}/${partition.partition}; reassign it first`,
        );
      }
    }
    this.brokers.delete(nodeId);
    changes.push({ kind: 'broker-unregistered', nodeId });
    return ok;
  }

  private checkReplicaList(replicas: readonly number[]): string | undefined {
    if (replicas.length === 0) return 'empty replica list';
    if (new Set(replicas).size !== replicas.length) return 'a replica is listed twice';
    const unknown = replicas.find((id) => !this.brokers.has(id));
    return unknown === undefined ? undefined : `broker ${unknown} is not registered`;
  }

  private createTopic(record: CreateTopicRecord, changes: MetadataChange[]): ApplyResult {
    if (this.topics.has(record.name)) {
      return refuse(ErrorCode.TopicAlreadyExists, `topic ${record.name} exists`);
    }
    if (record.assignment.length === 0) return refuse(ErrorCode.InvalidPartitions, 'no partitions');
    for (const replicas of record.assignment) {
      const problem = this.checkReplicaList(replicas);
      if (problem) return refuse(ErrorCode.InvalidReplicaAssignment, problem);
    }
    const problems = checkTopicConfigs(record.configs);
    if (problems.length > 0) return refuse(ErrorCode.InvalidConfig, problems.join('; '));
    const topic: TopicRecord = {
      name: record.name,
      internal: record.internal,
      configs: { ...record.configs },
      partitions: record.assignment.map((replicas, partition) => ({
        topic: record.name,
        partition,
        groupId: this.nextGroupId++,
        initialReplicas: [...replicas],
        replicas: [...replicas],
        targetReplicas: null,
        leader: -1,
        leaderTerm: 0,
      })),
    };
    this.topics.set(topic.name, topic);
    for (const p of topic.partitions) this.partitionsByGroup.set(p.groupId, p);
    changes.push({ kind: 'topic-created', topic });
    return ok;
  }

  private deleteTopic(name: string, changes: MetadataChange[]): ApplyResult {
    const topic = this.topics.get(name);
    if (!topic) return refuse(ErrorCode.UnknownTopicOrPartition, `no topic ${name}`);
    this.topics.delete(name);
    for (const p of topic.partitions) this.partitionsByGroup.delete(p.groupId);
    changes.push({ kind: 'topic-deleted', topic });
    return ok;
  }

  private alterTopicConfigs(
    record: AlterTopicConfigsRecord,
    changes: MetadataChange[],
  ): ApplyResult {
    const topic = this.topics.get(record.name);
    if (!topic) return refuse(ErrorCode.UnknownTopicOrPartition, `no topic ${record.name}`);
    const next = { ...topic.configs, ...record.set };
    for (const name of record.delete) delete next[name];
    const problems = checkTopicConfigs(next);
    if (problems.length > 0) return refuse(ErrorCode.InvalidConfig, problems.join('; '));
    topic.configs = next;
    changes.push({ kind: 'topic-configs-changed', topic });
    return ok;
  }

  private setPartitionLeader(
    record: PartitionLeaderRecord,
    changes: MetadataChange[],
  ): ApplyResult {
    const partition = this.partitionsByGroup.get(record.groupId);
    if (!partition) return refuse(ErrorCode.UnknownTopicOrPartition, `no group ${record.groupId}`);
    // Reports can arrive out of order; a later term always wins, an older one is stale.
    if (record.term < partition.leaderTerm) return refuse(ErrorCode.InvalidRequest, 'stale term');
    if (record.term === partition.leaderTerm && record.leader === partition.leader) return ok;
    partition.leader = record.leader;
    partition.leaderTerm = record.term;
    changes.push({ kind: 'partition-leader', partition });
    return ok;
  }

  private startReassignment(
    groupId: number,
    target: readonly number[],
    changes: MetadataChange[],
  ): ApplyResult {
    const partition = this.partitionsByGroup.get(groupId);
    if (!partition) return refuse(ErrorCode.UnknownTopicOrPartition, `no group ${groupId}`);
    const problem = this.checkReplicaList(target);
    if (problem) return refuse(ErrorCode.InvalidReplicaAssignment, problem);
    partition.targetReplicas = [...target];
    changes.push({ kind: 'reassignment-started', partition });
    return ok;
  }

  private completeReassignment(
    groupId: number,
    replicas: readonly number[],
    changes: MetadataChange[],
  ): ApplyResult {
    const partition = this.partitionsByGroup.get(groupId);
    if (!partition) return refuse(ErrorCode.UnknownTopicOrPartition, `no group ${groupId}`);
    partition.replicas = [...replicas];
    partition.targetReplicas = null;
    changes.push({ kind: 'reassignment-completed', partition });
    return ok;
  }

  partition(topic: string, index: number): PartitionRecord | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  /** Replicas held (or being moved to) per broker, and preferred leaderships. */
  brokerLoads(nodeIds: Iterable<number>): { nodeId: number; replicas: number; leaders: number }[] {
    const loads = new Map([...nodeIds].map((id) => [id, { nodeId: id, replicas: 0, leaders: 0 }]));
    for (const p of this.partitionsByGroup.values()) {
      for (const id of p.targetReplicas ?? p.replicas) {
        const load = loads.get(id);
        if (load) load.replicas++;
      }
      const preferred = loads.get((p.targetReplicas ?? p.replicas)[0] ?? -1);
      if (preferred) preferred.leaders++;
    }
    return [...loads.values()];
  }

  encodeSnapshot(): Uint8Array {
    return snapshotPackr.pack({
      version: 1,
      appliedIndex: this.appliedIndex,
      nextGroupId: this.nextGroupId,
      nextProducerId: this.nextProducerId,
      brokers: [...this.brokers.values()],
      topics: [...this.topics.values()],
    });
  }

  static decodeSnapshot(bytes: Uint8Array): MetadataState {
    const image = snapshotPackr.unpack(bytes) as SnapshotImage;
    assert(image?.version === 1, 'metadata snapshot version');
    const state = new MetadataState();
    state.appliedIndex = image.appliedIndex;
    state.nextGroupId = image.nextGroupId;
    state.nextProducerId = image.nextProducerId;
    for (const broker of image.brokers) state.brokers.set(broker.nodeId, broker);
    for (const topic of image.topics) {
      state.topics.set(topic.name, topic);
      for (const p of topic.partitions) state.partitionsByGroup.set(p.groupId, p);
    }
    return state;
  }
}

interface SnapshotImage {
  version: number;
  appliedIndex: number;
  nextGroupId: number;
  nextProducerId: number;
  brokers: BrokerRecord[];
  topics: TopicRecord[];
}

const snapshotPackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
