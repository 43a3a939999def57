/**
 * Fetch (api 7): read committed record batches from several partitions, long-polling.
 *
 *   request  = { maxWaitMs, minBytes, maxBytes,
 *                topics: [{ name, partitions: [{ partition, offset, maxBytes }] }] }
 *   response = { topics: [{ name, partitions: [{ partition, error, message?, highWatermark,
 *                  logStartOffset, records: bytes, leaderHint? }] }] }
 *
 * The broker answers as soon as `minBytes` are available or after `maxWaitMs`. `records`
 * is a sequence of whole stored batches, exactly as stored; the first batch of the first
 * partition is returned even when larger than `maxBytes`, so a consumer always progresses.
 * Only records below the high watermark (committed) are returned. On OFFSET_OUT_OF_RANGE,
 * `logStartOffset` and `highWatermark` carry the valid range.
 */
import { frameBytesMax, partitionsPerTopicMax, topicsPerRequestMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import {
  errorCode,
  errorMessage,
  leaderHint,
  offset,
  partitionIndex,
  timeoutMs,
  topicName,
} from './common.ts';

const fetchBytes = s.int({ min: 0, max: frameBytesMax });

export const fetchRequest = s.object({
  maxWaitMs: timeoutMs,
  minBytes: fetchBytes,
  maxBytes: fetchBytes,
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(
        s.object({ partition: partitionIndex, offset: s.int({ min: 0 }), maxBytes: fetchBytes }),
        { maxItems: partitionsPerTopicMax },
      ),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type FetchRequest = s.Infer<typeof fetchRequest>;

export const fetchPartitionResult = s.object({
  partition: partitionIndex,
  error: errorCode,
  message: errorMessage,
  highWatermark: offset,
  logStartOffset: offset,
  records: s.bytes({ maxBytes: frameBytesMax }),
  leaderHint,
});
export type FetchPartitionResult = s.Infer<typeof fetchPartitionResult>;

export const fetchResponse = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(fetchPartitionResult, { maxItems: partitionsPerTopicMax }),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type FetchResponse = s.Infer<typeof fetchResponse>;
