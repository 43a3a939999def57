/**
 * SyncGroup (api 12): the leader hands in every member's assignment; every member
 * receives its own.
 *
 *   request  = { groupId, generationId, memberId, groupInstanceId,
 *                assignments: [{ memberId, assignment: bytes }] }   (leader only)
 *   response = { error, message?, assignment: bytes }
 */
import { groupMetadataBytesMax, membersPerGroupMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, generationId, groupId, memberId } from './common.ts';

export const syncGroupRequest = s.object({
  groupId,
  generationId,
  memberId,
  groupInstanceId: s.nullable(s.string({ minLength: 1, maxLength: 255 })),
  assignments: s.array(
    s.object({ memberId, assignment: s.bytes({ maxBytes: groupMetadataBytesMax }) }),
    { maxItems: membersPerGroupMax },
  ),
});
export type SyncGroupRequest = s.Infer<typeof syncGroupRequest>;

export const syncGroupResponse = s.object({
  error: errorCode,
  message: errorMessage,
  assignment: s.bytes({ maxBytes: groupMetadataBytesMax }),
});
export type SyncGroupResponse = s.Infer<typeof syncGroupResponse>;
