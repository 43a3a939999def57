/**
 * Group administration: ListGroups (api 17), DescribeGroups (api 18), DeleteGroups (api 19).
 *
 *   ListGroups     request = {}                 response = { groups: [{ groupId, protocolType, state }] }
 *   DescribeGroups request = { groupIds }       response = { groups: [group] }
 *     group  = { groupId, error, state, protocolType, protocol, generationId,
 *                members: [{ memberId, groupInstanceId, clientId, clientHost,
 *                            metadata: bytes, assignment: bytes }] }
 *   DeleteGroups   request = { groupIds }       response = { results: [{ groupId, error }] }
 */
import { groupMetadataBytesMax, membersPerGroupMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, generationId, groupId, memberId } from './common.ts';

const groupsMax = 100_000;
const stateName = s.string({ maxLength: 64 });

export const listGroupsRequest = s.object({});
export type ListGroupsRequest = s.Infer<typeof listGroupsRequest>;

export const listGroupsResponse = s.object({
  groups: s.array(
    s.object({ groupId, protocolType: s.string({ maxLength: 255 }), state: stateName }),
    { maxItems: groupsMax },
  ),
});
export type ListGroupsResponse = s.Infer<typeof listGroupsResponse>;

export const describeGroupsRequest = s.object({
  groupIds: s.array(groupId, { maxItems: 10_000 }),
});
export type DescribeGroupsRequest = s.Infer<typeof describeGroupsRequest>;

export const groupMemberDescription = s.object({
  memberId,
  groupInstanceId: s.nullable(s.string({ minLength: 1, maxLength: 255 })),
  clientId: s.string({ maxLength: 255 }),
  clientHost: s.string({ maxLength: 255 }),
  metadata: s.bytes({ maxBytes: groupMetadataBytesMax }),
  assignment: s.bytes({ maxBytes: groupMetadataBytesMax }),
});
export type GroupMemberDescription = s.Infer<typeof groupMemberDescription>;

export const describeGroupsResponse = s.object({
  groups: s.array(
    s.object({
      groupId,
      error: errorCode,
      message: errorMessage,
      state: stateName,
      protocolType: s.string({ maxLength: 255 }),
      protocol: s.string({ maxLength: 255 }),
      generationId,
      members: s.array(groupMemberDescription, { maxItems: membersPerGroupMax }),
    }),
    { maxItems: 10_000 },
  ),
});
export type DescribeGroupsResponse = s.Infer<typeof describeGroupsResponse>;

export const deleteGroupsRequest = s.object({ groupIds: s.array(groupId, { maxItems: 10_000 }) });
export type DeleteGroupsRequest = s.Infer<typeof deleteGroupsRequest>;

export const deleteGroupsResponse = s.object({
  results: s.array(s.object({ groupId, error: errorCode, message: errorMessage }), {
    maxItems: 10_000,
  }),
});
export type DeleteGroupsResponse = s.Infer<typeof deleteGroupsResponse>;
