/**
 * The API registry: every request type, its key, the versions this build speaks, and the
 * schemas of its request and response. Adding an API or a version is one row here.
 */
import type { Infer, Schema } from '../wire/schema.ts';
import { alterConfigsRequest, alterConfigsResponse } from './alter-configs.ts';
import { apiVersionsRequest, apiVersionsResponse } from './api-versions.ts';
import {
  alterPartitionReassignmentsRequest,
  describeClusterRequest,
  describeClusterResponse,
  electLeadersRequest,
  partitionResults,
  unregisterBrokerRequest,
  unregisterBrokerResponse,
} from './cluster-admin.ts';
import { createTopicsRequest, createTopicsResponse } from './create-topics.ts';
import { deleteTopicsRequest, deleteTopicsResponse } from './delete-topics.ts';
import { describeConfigsRequest, describeConfigsResponse } from './describe-configs.ts';
import { fetchRequest, fetchResponse } from './fetch.ts';
import { findCoordinatorRequest, findCoordinatorResponse } from './find-coordinator.ts';
import {
  deleteGroupsRequest,
  deleteGroupsResponse,
  describeGroupsRequest,
  describeGroupsResponse,
  listGroupsRequest,
  listGroupsResponse,
} from './groups-admin.ts';
import { heartbeatRequest, heartbeatResponse } from './heartbeat.ts';
import { initProducerIdRequest, initProducerIdResponse } from './init-producer-id.ts';
import {
  allocateProducerIdsRequest,
  allocateProducerIdsResponse,
  brokerHeartbeatRequest,
  brokerRegistrationRequest,
  internalResponse,
} from './internal.ts';
import { joinGroupRequest, joinGroupResponse } from './join-group.ts';
import { leaveGroupRequest, leaveGroupResponse } from './leave-group.ts';
import { listOffsetsRequest, listOffsetsResponse } from './list-offsets.ts';
import { metadataRequest, metadataResponse } from './metadata.ts';
import { offsetCommitRequest, offsetCommitResponse } from './offset-commit.ts';
import { offsetFetchRequest, offsetFetchResponse } from './offset-fetch.ts';
import { produceRequest, produceResponse } from './produce.ts';
import { syncGroupRequest, syncGroupResponse } from './sync-group.ts';

export const Api = {
  ApiVersions: 0,
  Metadata: 1,
  CreateTopics: 2,
  DeleteTopics: 3,
  DescribeConfigs: 4,
  AlterConfigs: 5,
  Produce: 6,
  Fetch: 7,
  ListOffsets: 8,
  InitProducerId: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  SyncGroup: 12,
  Heartbeat: 13,
  LeaveGroup: 14,
  OffsetCommit: 15,
  OffsetFetch: 16,
  ListGroups: 17,
  DescribeGroups: 18,
  DeleteGroups: 19,
  DescribeCluster: 20,
  ElectLeaders: 21,
  AlterPartitionReassignments: 22,
  UnregisterBroker: 23,
  BrokerRegistration: 100,
  BrokerHeartbeat: 101,
  AllocateProducerIds: 102,
} as const;
export type Api = (typeof Api)[keyof typeof Api];

export interface ApiDefinition {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: Schema<unknown>;
  readonly response: Schema<unknown>;
}

function define<Req, Res>(name: string, request: Schema<Req>, response: Schema<Res>) {
  return { name, minVersion: 1, maxVersion: 1, request, response };
}

export const apiDefinitions = {
  [Api.ApiVersions]: define('ApiVersions', apiVersionsRequest, apiVersionsResponse),
  [Api.Metadata]: define('Metadata', metadataRequest, metadataResponse),
  [Api.CreateTopics]: define('CreateTopics', createTopicsRequest, createTopicsResponse),
  [Api.DeleteTopics]: define('DeleteTopics', deleteTopicsRequest, deleteTopicsResponse),
  [Api.DescribeConfigs]: define('DescribeConfigs', describeConfigsRequest, describeConfigsResponse),
  [Api.AlterConfigs]: define('AlterConfigs', alterConfigsRequest, alterConfigsResponse),
  [Api.Produce]: define('Produce', produceRequest, produceResponse),
  [Api.Fetch]: define('Fetch', fetchRequest, fetchResponse),
  [Api.ListOffsets]: define('ListOffsets', listOffsetsRequest, listOffsetsResponse),
  [Api.InitProducerId]: define('InitProducerId', initProducerIdRequest, initProducerIdResponse),
  [Api.FindCoordinator]: define('FindCoordinator', findCoordinatorRequest, findCoordinatorResponse),
  [Api.JoinGroup]: define('JoinGroup', joinGroupRequest, joinGroupResponse),
  [Api.SyncGroup]: define('SyncGroup', syncGroupRequest, syncGroupResponse),
  [Api.Heartbeat]: define('Heartbeat', heartbeatRequest, heartbeatResponse),
  [Api.LeaveGroup]: define('LeaveGroup', leaveGroupRequest, leaveGroupResponse),
  [Api.OffsetCommit]: define('OffsetCommit', offsetCommitRequest, offsetCommitResponse),
  [Api.OffsetFetch]: define('OffsetFetch', offsetFetchRequest, offsetFetchResponse),
  [Api.ListGroups]: define('ListGroups', listGroupsRequest, listGroupsResponse),
  [Api.DescribeGroups]: define('DescribeGroups', describeGroupsRequest, describeGroupsResponse),
  [Api.DeleteGroups]: define('DeleteGroups', deleteGroupsRequest, deleteGroupsResponse),
  [Api.DescribeCluster]: define('DescribeCluster', describeClusterRequest, describeClusterResponse),
  [Api.ElectLeaders]: define('ElectLeaders', electLeadersRequest, partitionResults),
  [Api.AlterPartitionReassignments]: define(
    'AlterPartitionReassignments',
    alterPartitionReassignmentsRequest,
    partitionResults,
  ),
  [Api.UnregisterBroker]: define(
    'UnregisterBroker',
    unregisterBrokerRequest,
    unregisterBrokerResponse,
  ),
  [Api.BrokerRegistration]: define(
    'BrokerRegistration',
    brokerRegistrationRequest,
    internalResponse,
  ),
  [Api.BrokerHeartbeat]: define('BrokerHeartbeat', brokerHeartbeatRequest, internalResponse),
  [Api.AllocateProducerIds]: define(
    'AllocateProducerIds',
    allocateProducerIdsRequest,
    allocateProducerIdsResponse,
  ),
} as const satisfies Record<Api, ApiDefinition>;

export type RequestOf<A extends Api> = Infer<(typeof apiDefinitions)[A]['request']>;
export type ResponseOf<A extends Api> = Infer<(typeof apiDefinitions)[A]['response']>;

export function isApi(value: number): value is Api {
  return Object.hasOwn(apiDefinitions, value);
}

export function apiName(api: number): string {
  return isApi(api) ? apiDefinitions[api].name : `unknown(${api})`;
}
