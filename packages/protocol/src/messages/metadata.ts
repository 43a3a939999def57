/**
 * Metadata (api 1): brokers, the controller, and topics with their partitions' leaders
 * and replicas. `topics: null` asks for every topic.
 *
 *   request  = { topics: [string] | null }
 *   response = { clusterId, controllerId, brokers: [broker], topics: [topic] }
 *   broker   = { nodeId, host, port }
 *   topic    = { name, error, partitions: [{ partition, error, leader, leaderEpoch,
 *                                              replicas: [nodeId], learners: [nodeId] }] }
 *
 * `leader` is -1 when none is known; `leaderEpoch` is the partition's Raft term.
 */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import {
  errorCode,
  errorMessage,
  host,
  nodeId,
  nodeIdOrNone,
  partitionIndex,
  port,
  topicName,
} from './common.ts';

export const metadataRequest = s.object({
  topics: s.nullable(s.array(topicName, { maxItems: limits.topicsPerRequestMax })),
});
export type MetadataRequest = s.Infer<typeof metadataRequest>;

export const brokerInfo = s.object({ nodeId, host, port });
export type BrokerInfo = s.Infer<typeof brokerInfo>;

export const partitionMetadata = s.object({
  partition: partitionIndex,
  error: errorCode,
  leader: nodeIdOrNone,
  leaderEpoch: s.int({ min: -1 }),
  replicas: s.array(nodeId, { maxItems: limits.replicationFactorMax * 2 }),
  learners: s.array(nodeId, { maxItems: limits.replicationFactorMax * 2 }),
});
export type PartitionMetadata = s.Infer<typeof partitionMetadata>;

export const topicMetadata = s.object({
  name: topicName,
  error: errorCode,
  message: errorMessage,
  partitions: s.array(partitionMetadata, { maxItems: limits.partitionsPerTopicMax }),
});
export type TopicMetadata = s.Infer<typeof topicMetadata>;

export const metadataResponse = s.object({
  clusterId: s.string({ maxLength: 255 }),
  controllerId: nodeIdOrNone,
  brokers: s.array(brokerInfo, { maxItems: limits.brokersMax }),
  topics: s.array(topicMetadata, { maxItems: limits.topicsPerRequestMax }),
});
export type MetadataResponse = s.Infer<typeof metadataResponse>;
