/**
 * Produce (api 6): append record batches to partitions.
 *
 *   request  = { acks: 0 | "leader" | "quorum" | "all", timeoutMs,
 *                topics: [{ name, partitions: [{ partition, records: bytes }] }] }
 *   response = { topics: [{ name, partitions: [{ partition, error, message?, baseOffset,
 *                                                 logStartOffset, leaderHint? }] }] }
 *
 * `records` holds one or more whole record batches (RecordBatch v2). With acks 0 the broker
 * sends no response at all. `baseOffset` is the offset given to the first record, or -1.
 * For the meaning of each acks level see the durability table in docs/architecture.md.
 */
import { batchBytesMax, partitionsPerTopicMax, topicsPerRequestMax } from '../limits.ts';
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

export const acksLevels = [0, 'leader', 'quorum', 'all'] as const;
export type Acks = (typeof acksLevels)[number];

export const produceRequest = s.object({
  acks: s.oneOf(acksLevels),
  timeoutMs,
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(
        s.object({ partition: partitionIndex, records: s.bytes({ maxBytes: batchBytesMax }) }),
        { maxItems: partitionsPerTopicMax },
      ),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type ProduceRequest = s.Infer<typeof produceRequest>;

export const producePartitionResult = s.object({
  partition: partitionIndex,
  error: errorCode,
  message: errorMessage,
  baseOffset: offset,
  logStartOffset: offset,
  leaderHint,
});
export type ProducePartitionResult = s.Infer<typeof producePartitionResult>;

export const produceResponse = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.array(producePartitionResult, { maxItems: partitionsPerTopicMax }),
    }),
    { maxItems: topicsPerRequestMax },
  ),
});
export type ProduceResponse = s.Infer<typeof produceResponse>;
