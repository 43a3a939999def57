/** Read-only views of groups for ListGroups, DescribeGroups and OffsetFetch answers. */
import {
  type DescribeGroupsResponse,
  ErrorCode,
  type ListGroupsResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '@tributary/protocol';
import { type Group, offsetKey } from './group.ts';

const emptyBytes = new Uint8Array(0);

type DescribedGroup = DescribeGroupsResponse['groups'][number];

export function listGroups(groups: Iterable<Group>): ListGroupsResponse {
  const listed: ListGroupsResponse['groups'] = [];
  for (const group of groups) {
    if (group.state === 'Dead') continue;
    listed.push({
      groupId: group.groupId,
      protocolType: group.protocolType ?? '',
      state: group.state,
    });
  }
  return { groups: listed };
}

export function describeGroup(groupId: string, group: Group | undefined): DescribedGroup {
  if (group === undefined || group.state === 'Dead') {
    return {
      groupId,
      error: ErrorCode.GroupIdNotFound.code,
      state: 'Dead',
      protocolType: '',
      protocol: '',
      generationId: -1,
      members: [],
    };
  }
  const showAssignment = group.state === 'Stable';
  return {
    groupId,
    error: ErrorCode.None.code,
    state: group.state,
    protocolType: group.protocolType ?? '',
    protocol: group.protocolName ?? '',
    generationId: group.generationId,
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      metadata: group.subscriptionOf(member),
      assignment: showAssignment ? member.assignment : emptyBytes,
    })),
  };
}

/** Committed offsets of the requested partitions (all when `topics` is null); -1 if none. */
export function fetchOffsets(
  group: Group | undefined,
  request: OffsetFetchRequest,
): OffsetFetchResponse {
  if (request.topics === null) return allOffsets(group);
  return {
    error: ErrorCode.None.code,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        const committed = group?.offsets.get(offsetKey(topic.name, partition));
        return {
          partition,
          offset: committed?.offset ?? -1,
          metadata: committed?.metadata ?? '',
          error: ErrorCode.None.code,
        };
      }),
    })),
  };
}

function allOffsets(group: Group | undefined): OffsetFetchResponse {
  const byTopic = new Map<string, OffsetFetchResponse['topics'][number]['partitions']>();
  for (const [key, committed] of group?.offsets ?? []) {
    const [topic = '', partitionText = ''] = key.split('\u0000');
    let partitions = byTopic.get(topic);
    if (partitions === undefined) {
      partitions = [];
      byTopic.set(topic, partitions);
    }
    partitions.push({
      partition: Number(partitionText),
      offset: committed.offset,
      metadata: committed.metadata,
      error: ErrorCode.None.code,
    });
  }
  const topics = [...byTopic]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, partitions]) => ({
      name,
      partitions: partitions.sort((a, b) => a.partition - b.partition),
    }));
  return { error: ErrorCode.None.code, topics };
}
