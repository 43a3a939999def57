/**
 * Follows every partition of a topic from its beginning, live: how each distributed worker
 * keeps its view of the configs and status topics. `caughtUp()` waits until everything
 * written before the call has been applied; `applied(partition, offset)` waits for one
 * record (read-your-writes after a write).
 */
import type { Client, Consumer, ConsumerMessage } from '@tributary/client';
import { ConnectError } from '../errors.ts';
import { limits } from '../limits.ts';
import { sleep } from './sleep.ts';

const positionCheckMs = 20;

export class TopicFollower {
  private consumer: Consumer | undefined;
  private readonly appliedUpTo = new Map<number, bigint>();

  constructor(
    private readonly client: Client,
    readonly topic: string,
    private readonly onRecord: (message: ConsumerMessage) => void,
  ) {}

  async start(signal?: AbortSignal): Promise<void> {
    const consumer = this.client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 200 });
    this.consumer = consumer;
    await consumer.connect(signal === undefined ? {} : { signal });
    consumer.assign([{ topic: this.topic }], { fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        this.onRecord(message);
        this.appliedUpTo.set(partition, message.offset + 1n);
      },
    });
  }

  /** Waits until the record at `offset` of `partition` has been applied. */
  async applied(partition: number, offset: bigint, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + limits.readBackTimeoutMs;
    while ((this.appliedUpTo.get(partition) ?? -1n) <= offset) {
      if (signal?.aborted) throw new ConnectError('WORKER_STOPPED', 'stopped');
      if (Date.now() > deadline)
        throw new ConnectError(
          'TIMEOUT',
          `${this.topic}/${partition}@${offset} not read back in time`,
          { retriable: true },
        );
      await sleep(positionCheckMs, signal);
    }
  }

  /** Waits until every partition is applied up to its end as of now. */
  async caughtUp(
    admin: { fetchTopicOffsets(topic: string): Promise<{ partition: number; high: bigint }[]> },
    signal?: AbortSignal,
  ): Promise<void> {
    const ends = await admin.fetchTopicOffsets(this.topic);
    for (const end of ends) {
      if (end.high > 0n)
        await this.applied(end.partition, end.high - 1n, signal).catch(async (error: unknown) => {
          // Compaction may have removed the last offsets; the consumer's position then says it.
          if (
            this.consumer !== undefined &&
            this.consumer.position(this.topic, end.partition) >= end.high
          )
            return;
          throw error;
        });
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
  }
}
