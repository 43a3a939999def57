/**
 * Cluster administration.
 *
 *   DescribeCluster (api 20)
 *     request  = {}
 *     response = { clusterId, controllerId, brokers: [{ nodeId, host, port, alive: bool,
 *                   lastHeartbeatAgeMs, controllerVoter: bool }],
 *                  partitions: { total, offline, underReplicated } }
 *   ElectLeaders (api 21): move each partition's leadership to its preferred replica (the
 *     first in its replica list) where it is not already there. `topics: null` means all.
 *     request  = { topics: [{ name, partitions: [int] }] | null, timeoutMs }
 *     response = { results: [{ name, partition, error, message? }] }
 *   AlterPartitionReassignments (api 22): give partitions a new replica list; new replicas
 *     join as learners, catch up, then become voters; removed ones leave.
 *     request  = { topics: [{ name, partitions: [{ partition, replicas: [nodeId] }] }], timeoutMs }
 *     response = { results: [{ name, partition, error, message? }] }
 *   UnregisterBroker (api 23): forget a broker that holds no replicas any more.
 *     request  = { nodeId }
 *     response = { error, message? }
 */
import {
  brokersMax,
  partitionsPerTopicMax,
  replicationFactorMax,
  topicsPerRequestMax,
} from '../limits.ts';
import * as s from '../wire/schema.ts';
import {
  errorCode,
  errorMessage,
  host,
  nodeId,
  nodeIdOrNone,
  partitionIndex,
  port,
  timeoutMs,
  topicName,
} from './common.ts';

export const describeClusterRequest = s.object({});
export type DescribeClusterRequest = s.Infer<typeof describeClusterRequest>;

export const clusterBrokerStatus = s.object({
  nodeId,
  host,
  port,
  alive: s.boolean(),
  lastHeartbeatAgeMs: s.int({ min: -1 }),
  controllerVoter: s.boolean(),
});
export type ClusterBrokerStatus = s.Infer<typeof clusterBrokerStatus>;

export const describeClusterResponse = s.object({
  clusterId: s.string({ maxLength: 255 }),
  controllerId: nodeIdOrNone,
  brokers: s.array(clusterBrokerStatus, { maxItems: brokersMax }),
  partitions: s.object({
    total: s.int({ min: 0 }),
    offline: s.int({ min: 0 }),
    underReplicated: s.int({ min: 0 }),
  }),
});
export type DescribeClusterResponse = s.Infer<typeof describeClusterResponse>;

export const partitionResults = s.object({
  results: s.array(
    s.object({
      name: topicName,
      partition: partitionIndex,
      error: errorCode,
      message: errorMessage,
    }),
    { maxItems: topicsPerRequestMax * 10 },
  ),
});
export type PartitionResults = s.Infer<typeof partitionResults>;

export const electLeadersRequest = s.object({
  topics: s.nullable(
    s.array(
      s.object({
        name: topicName,
        partitions: s.array(partitionIndex, { maxItems: partitionsPerTopicMax }),
      }),
      { maxItems: topicsPerRequestMax },
    ),
  ),
  timeoutMs,
});
export type ElectLeadersRequest = s.Infer<typeof electLeadersRequest>;

export const alterPartitionReassignmentsRequest = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(
        s.object({
          partition: partitionIndex,
          replicas: s.array(nodeId, { maxItems: replicationFactorMax }),
        }),
        { maxItems: partitionsPerTopicMax },
      ),
    }),
    { maxItems: topicsPerRequestMax },
  ),
  timeoutMs,
});
export type AlterPartitionReassignmentsRequest = s.Infer<typeof alterPartitionReassignmentsRequest>;

export const unregisterBrokerRequest = s.object({ nodeId });
export type UnregisterBrokerRequest = s.Infer<typeof unregisterBrokerRequest>;

export const unregisterBrokerResponse = s.object({ error: errorCode, message: errorMessage });
export type UnregisterBrokerResponse = s.Infer<typeof unregisterBrokerResponse>;
