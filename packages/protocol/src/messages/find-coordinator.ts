/**
 * FindCoordinator (api 10): which broker coordinates a consumer group.
 *
 *   request  = { groupId }
 *   response = { error, message?, nodeId, host, port }
 */
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, groupId, nodeIdOrNone, port } from './common.ts';

export const findCoordinatorRequest = s.object({ groupId });
export type FindCoordinatorRequest = s.Infer<typeof findCoordinatorRequest>;

export const findCoordinatorResponse = s.object({
  error: errorCode,
  message: errorMessage,
  nodeId: nodeIdOrNone,
  host: s.string({ maxLength: 255 }),
  port,
});
export type FindCoordinatorResponse = s.Infer<typeof findCoordinatorResponse>;
