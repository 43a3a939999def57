/**
 * ListOffsets (api 8): the offset of the first record at or after a timestamp, or the
 * earliest / latest offset.
 *
 *   request  = { topics: [{ name, partitions: [{ partition, timestamp }] }] }
 *   response = { topics: [{ name, partitions: [{ partition, error, message?, offset,
 *                                                 timestamp, leaderHint? }] }] }
 *
 * `timestamp` -1 asks for the latest offset (the high watermark), -2 for the earliest (the
 * log start offset). When no record is at or after the timestamp, `offset` is -1.
 */
import { partitionsPerTopicMax, topicsPerRequestMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import {
  errorCode,
  errorMessage,
  leaderHint,
  offset,
  partitionIndex,
  topicName,
} from './common.ts';

export const latestTimestamp = -1;
export const earliestTimestamp = -2;

export const listOffsetsRequest = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(s.object({ partition: partitionIndex, timestamp: s.int({ min: -2 }) }), {
        maxItems: partitionsPerTopicMax,
      }),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type ListOffsetsRequest = s.Infer<typeof listOffsetsRequest>;

export const listOffsetsResponse = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(
        s.object({
          partition: partitionIndex,
          error: errorCode,
          message: errorMessage,
          offset,
          timestamp: s.int({ min: -1 }),
          leaderHint,
        }),
        { maxItems: partitionsPerTopicMax },
      ),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type ListOffsetsResponse = s.Infer<typeof listOffsetsResponse>;
