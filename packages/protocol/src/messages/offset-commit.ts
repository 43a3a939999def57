/**
 * OffsetCommit (api 15): store a group's consumed positions. A member commits with its
 * generation; a commit from a stale generation is refused with ILLEGAL_GENERATION. An
 * admin tool may commit for an empty group with generationId -1 and memberId "".
 *
 *   request  = { groupId, generationId, memberId, groupInstanceId,
 *                topics: [{ name, partitions: [{ partition, offset, metadata }] }] }
 *   response = { topics: [{ name, partitions: [{ partition, error }] }] }
 *
 * The offset committed is the next offset to consume, as in Kafka.
 */
import { partitionsPerTopicMax, topicsPerRequestMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, generationId, groupId, memberId, partitionIndex, topicName } from './common.ts';

export const offsetCommitRequest = s.object({
  groupId,
  generationId,
  memberId,
  groupInstanceId: s.nullable(s.string({ minLength: 1, maxLength: 255 })),
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(
        s.object({
          partition: partitionIndex,
          offset: s.int({ min: 0 }),
          metadata: s.string({ maxLength: 4096 }),
        }),
        { maxItems: partitionsPerTopicMax },
      ),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type OffsetCommitRequest = s.Infer<typeof offsetCommitRequest>;

export const offsetCommitResponse = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(s.object({ partition: partitionIndex, error: errorCode }), {
        maxItems: partitionsPerTopicMax,
      }),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type OffsetCommitResponse = s.Infer<typeof offsetCommitResponse>;
