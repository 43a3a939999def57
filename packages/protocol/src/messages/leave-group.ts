/**
 * LeaveGroup (api 14): members leave at once instead of waiting for session expiry.
 *
 *   request  = { groupId, members: [{ memberId, groupInstanceId }] }
 *   response = { error, message?, members: [{ memberId, error }] }
 */
import { membersPerGroupMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, groupId, memberId } from './common.ts';

export const leaveGroupRequest = s.object({
  groupId,
  members: s.array(
    s.object({
      memberId,
      groupInstanceId: s.nullable(s.string({ minLength: 1, maxLength: 255 })),
    }),
    { maxItems: membersPerGroupMax },
  ),
});
export type LeaveGroupRequest = s.Infer<typeof leaveGroupRequest>;

export const leaveGroupResponse = s.object({
  error: errorCode,
  message: errorMessage,
  members: s.array(s.object({ memberId, error: errorCode }), { maxItems: membersPerGroupMax }),
});
export type LeaveGroupResponse = s.Infer<typeof leaveGroupResponse>;
