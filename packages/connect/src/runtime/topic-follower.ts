/**
 * Follows every partition of a topic from its beginning, live: how each distributed worker
 * keeps its view of the configs and status topics. `caughtUp()` waits until everything
 * written before the call has been applied; `applied(partition, offset)` waits for one
 * record (read-your-writes after a write).
 */
import type { Admin, Client, Consumer, ConsumerMessage } from '@tributary/client';
import { assert } from '../assert.ts';
import { ConnectError, isRetriable } from '../errors.ts';
import { limits } from '../limits.ts';
import { sleep } from './sleep.ts';
import { partitionCount } from './topics.ts';

const positionCheckMs = 20;
const startRetryMs = 200;

export class TopicFollower {
  private consumer: Consumer | undefined;
  private readonly appliedUpTo = new Map<number, bigint>();

  constructor(
    private readonly client: Client,
    readonly topic: string,
    private readonly onRecord: (message: ConsumerMessage) => void,
  ) {}

  /**
   * Starts following once the topic can be read. Workers started together on a fresh
   * prefix create the internal topics at the same moment; a follower whose consumer made
   * its first offset lookup before the partition's leader could answer was left with no
   * position, for good, and read nothing (found by the distributed end-to-end test). So
   * the partitions are named, every one must answer an offset lookup first, and a start
   * that finds the topic not ready is tried again until `readBackTimeoutMs`.
   */
  async start(admin: Admin, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + limits.readBackTimeoutMs;
    for (;;) {
      const error = await this.tryStart(admin, signal);
      if (error === undefined) return;
      if (!isRetriable(error) || Date.now() > deadline) throw error;
      await sleep(startRetryMs, signal);
    }
  }

  private async tryStart(admin: Admin, signal?: AbortSignal): Promise<unknown> {
    const signalOption = signal === undefined ? {} : { signal };
    let consumer: Consumer | undefined;
    try {
      const count = await partitionCount(admin, this.topic, signal);
      // A partition whose leader cannot answer an offset lookup yet (just created by
      // another worker) left the consumer's first lookup unanswered for good, its position
      // unset: start only once every partition answers one.
      const ends =
        count === undefined ? [] : await admin.fetchTopicOffsets(this.topic, signalOption);
      if (
        count === undefined ||
        ends.length !== count ||
        ends.some((end) => end.low < 0n || end.high < end.low)
      ) {
        return new ConnectError('TIMEOUT', `topic ${this.topic} is not ready to be read yet`, {
          retriable: true,
        });
      }
      consumer = this.client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 200 });
      await consumer.connect(signalOption);
      const partitions = Array.from({ length: count }, (_, partition) => partition);
      consumer.assign([{ topic: this.topic, partitions }], { fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          this.onRecord(message);
          this.appliedUpTo.set(partition, message.offset + 1n);
        },
      });
      if (consumer.assignment().length !== count)
        assert(false, `${this.topic}: every partition assigned`);
      this.consumer = consumer;
      return undefined;
    } catch (error) {
      await consumer?.disconnect().catch(() => {});
      return error;
    }
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
