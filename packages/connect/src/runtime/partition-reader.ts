/**
 * Reads one partition from an offset up to (not including) another: how the framework
 * reads its internal topics back to their end and scans a data topic's tail when a source
 * task recovers. A consumer without a group, assigned the one partition and moved to the
 * start offset; done when its position reaches the end offset (gaps left by compaction
 * are stepped over by the consumer). Bounded by a deadline.
 */
import type { Client, ConsumerMessage } from '@tributary/client';
import { ConnectError } from '../errors.ts';
import { limits } from '../limits.ts';

export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: bigint;
  /** Exclusive. */
  readonly toOffset: bigint;
}

const positionCheckMs = 25;

export async function readPartitionRange(
  client: Client,
  range: PartitionRange,
  onRecord: (message: ConsumerMessage) => void,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<void> {
  if (range.fromOffset >= range.toOffset) return;
  const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100 });
  const deadline = Date.now() + (options.timeoutMs ?? limits.readBackTimeoutMs);
  try {
    await consumer.connect();
    consumer.assign([{ topic: range.topic, partitions: [range.partition] }], {
      fromBeginning: true,
    });
    let sought = false;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (!sought) return; // fetched before the seek: read again from the start offset
        for (const message of batch.messages) {
          if (message.offset >= range.fromOffset && message.offset < range.toOffset)
            onRecord(message);
        }
      },
    });
    consumer.seek({ topic: range.topic, partition: range.partition, offset: range.fromOffset });
    sought = true;
    while (consumer.position(range.topic, range.partition) < range.toOffset) {
      if (options.signal?.aborted)
        throw new ConnectError('WORKER_STOPPED', 'stopped while reading back');
      if (Date.now() > deadline) {
        throw new ConnectError(
          'TIMEOUT',
          `reading ${range.topic}/${range.partition} up to ${range.toOffset} took too long`,
          { retriable: true },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, positionCheckMs));
    }
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
