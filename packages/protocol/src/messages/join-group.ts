/**
 * JoinGroup (api 11): enter (or re-enter) a consumer group's rebalance. The coordinator
 * answers every member when the round completes; the leader's answer lists all members
 * with their subscription metadata so it can compute the assignment.
 *
 *   request  = { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId ("" when new),
 *                groupInstanceId: string | null, protocolType: string,
 *                protocols: [{ name, metadata: bytes }] }
 *   response = { error, message?, generationId, protocolName, leader, memberId,
 *                members: [{ memberId, groupInstanceId, metadata: bytes }] }
 *
 * A new dynamic member first gets MEMBER_ID_REQUIRED with its assigned `memberId` and
 * joins again with it, as in Kafka.
 */
import { groupMetadataBytesMax, membersPerGroupMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, generationId, groupId, memberId } from './common.ts';

const instanceId = s.nullable(s.string({ minLength: 1, maxLength: 255 }));
const protocolName = s.string({ maxLength: 255 });

export const joinGroupRequest = s.object({
  groupId,
  sessionTimeoutMs: s.int({ min: 0, max: 3_600_000 }),
  rebalanceTimeoutMs: s.int({ min: 0, max: 3_600_000 }),
  memberId,
  groupInstanceId: instanceId,
  protocolType: s.string({ minLength: 1, maxLength: 255 }),
  protocols: s.array(
    s.object({ name: protocolName, metadata: s.bytes({ maxBytes: groupMetadataBytesMax }) }),
    { maxItems: 16 },
  ),
});
export type JoinGroupRequest = s.Infer<typeof joinGroupRequest>;

export const joinGroupResponse = s.object({
  error: errorCode,
  message: errorMessage,
  generationId,
  protocolName,
  leader: memberId,
  memberId,
  members: s.array(
    s.object({
      memberId,
      groupInstanceId: instanceId,
      metadata: s.bytes({ maxBytes: groupMetadataBytesMax }),
    }),
    { maxItems: membersPerGroupMax },
  ),
});
export type JoinGroupResponse = s.Infer<typeof joinGroupResponse>;
