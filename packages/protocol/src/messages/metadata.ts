/**
 * Metadata (api 1): brokers, the controller, and topics with their partitions' leaders
 * and replicas. `topics: null` asks for every topic.
 *
 *   request  = { topics: [string] | null, minMetadataIndex? }
 *   response = { clusterId, controllerId, brokers: [broker], topics: [topic], metadataIndex? }
 *   broker   = { nodeId, host, port }
 *   topic    = { name, error, partitions: [{ partition, error, leader, leaderEpoch,
 *                                              replicas: [nodeId], learners: [nodeId] }] }
 *
 * `leader` is -1 when none is known; `leaderEpoch` is the partition's Raft term.
 *
 * `metadataIndex` is the index of the metadata log the answering broker has applied. A
 * client sends the highest index it has seen (from Metadata, CreateTopics or DeleteTopics
 * answers) as `minMetadataIndex`; a broker behind it waits a moment for its copy to catch
 * up, so a client never reads metadata older than what it has already seen (a topic it has
 * just created is listed, whichever broker it asks). An answer still below the minimum tells
 * the client to ask again.
 */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import {
  errorCode,
  errorMessage,
  host,
  metadataIndex,
  nodeId,
  nodeIdOrNone,
  partitionIndex,
  port,
  topicName,
} from './common.ts';

export const metadataRequest = s.object({
  topics: s.nullable(s.array(topicName, { maxItems: limits.topicsPerRequestMax })),
  minMetadataIndex: s.optional(metadataIndex),
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
  metadataIndex: s.optional(metadataIndex),
});
export type MetadataResponse = s.Infer<typeof metadataResponse>;
