/**
 * Answers Metadata and DescribeConfigs from this node's copy of the metadata log. The copy
 * may trail the controller by a moment; clients cope, because a broker that is asked for a
 * partition it does not lead answers NOT_LEADER with a hint and the client refreshes.
 */
import {
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  ErrorCode,
  type MetadataRequest,
  type MetadataResponse,
  type PartitionMetadata,
  type TopicMetadata,
} from '@tributary/protocol';
import type { MetadataState, PartitionRecord } from '../metadata/state.ts';
import { effectiveTopicConfigs } from '../metadata/topic-configs.ts';

export interface MetadataView {
  readonly state: MetadataState;
  readonly clusterId: string;
  /** The metadata group's leader as this node knows it, or -1. */
  controllerId(): number;
  /** The leader of a partition this node hosts, from its own Raft replica (fresher). */
  localLeadership(groupId: number): { leader: number; term: number } | undefined;
}

function partitionMetadata(view: MetadataView, p: PartitionRecord): PartitionMetadata {
  const local = view.localLeadership(p.groupId);
  const useLocal =
    local !== undefined &&
    (local.term > p.leaderTerm || (local.term === p.leaderTerm && local.leader > 0));
  const leader = useLocal ? local.leader || -1 : p.leader;
  const voters = p.replicas;
  const learners = (p.targetReplicas ?? []).filter((id) => !voters.includes(id));
  return {
    partition: p.partition,
    error: leader > 0 ? 0 : ErrorCode.LeaderNotAvailable.code,
    leader: leader > 0 ? leader : -1,
    leaderEpoch: useLocal ? local.term : p.leaderTerm,
    replicas: [...voters],
    learners,
  };
}

export function answerMetadata(view: MetadataView, request: MetadataRequest): MetadataResponse {
  const { state } = view;
  const names = request.topics ?? [...state.topics.keys()].sort();
  const topics: TopicMetadata[] = names.map((name) => {
    const topic = state.topics.get(name);
    if (!topic) return { name, error: ErrorCode.UnknownTopicOrPartition.code, partitions: [] };
    return { name, error: 0, partitions: topic.partitions.map((p) => partitionMetadata(view, p)) };
  });
  return {
    clusterId: view.clusterId,
    controllerId: view.controllerId(),
    brokers: [...state.brokers.values()]
      .sort((a, b) => a.nodeId - b.nodeId)
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    topics,
    metadataIndex: state.appliedIndex,
  };
}

export function answerDescribeConfigs(
  state: MetadataState,
  request: DescribeConfigsRequest,
): DescribeConfigsResponse {
  return {
    topics: request.topics.map((name) => {
      const topic = state.topics.get(name);
      if (!topic) return { name, error: ErrorCode.UnknownTopicOrPartition.code, configs: [] };
      return { name, error: 0, configs: effectiveTopicConfigs(topic.configs) };
    }),
  };
}
