/**
 * Heartbeat (api 13): keeps a member's session alive. REBALANCE_IN_PROGRESS tells the
 * member to rejoin.
 *
 *   request  = { groupId, generationId, memberId, groupInstanceId }
 *   response = { error, message? }
 */
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, generationId, groupId, memberId } from './common.ts';

export const heartbeatRequest = s.object({
  groupId,
  generationId,
  memberId,
  groupInstanceId: s.nullable(s.string({ minLength: 1, maxLength: 255 })),
});
export type HeartbeatRequest = s.Infer<typeof heartbeatRequest>;

export const heartbeatResponse = s.object({ error: errorCode, message: errorMessage });
export type HeartbeatResponse = s.Infer<typeof heartbeatResponse>;
