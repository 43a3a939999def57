/**
 * OffsetFetch (api 16): a group's committed offsets. `topics: null` asks for all.
 *
 *   request  = { groupId, topics: [{ name, partitions: [int] }] | null }
 *   response = { error, message?, topics: [{ name, partitions: [{ partition, offset,
 *                                                                  metadata, error }] }] }
 *
 * `offset` is -1 where the group has committed nothing for that partition.
 */
import { partitionsPerTopicMax, topicsPerRequestMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, groupId, offset, partitionIndex, topicName } from './common.ts';

export const offsetFetchRequest = s.object({
  groupId,
  topics: s.nullable(
    s.array(
      s.object({
        name: topicName,
        partitions: s.array(partitionIndex, { maxItems: partitionsPerTopicMax }),
      }),
      { maxItems: topicsPerRequestMax },
    ),
  ),
});
export type OffsetFetchRequest = s.Infer<typeof offsetFetchRequest>;

export const offsetFetchResponse = s.object({
  error: errorCode,
  message: errorMessage,
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(
        s.object({
          partition: partitionIndex,
          offset,
          metadata: s.string({ maxLength: 4096 }),
          error: errorCode,
        }),
        { maxItems: partitionsPerTopicMax },
      ),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type OffsetFetchResponse = s.Infer<typeof offsetFetchResponse>;
