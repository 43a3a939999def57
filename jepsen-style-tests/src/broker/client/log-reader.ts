/**
 * `poll` for the log workload: a consumer without a group, assigned every partition of one
 * topic from the beginning, reading forward for the life of the client process. Its handler
 * feeds a bounded queue; each poll hands out what arrived, in delivery order.
 */
import type { Client, Consumer } from '@tributary/client';
import type { PollValue } from '../../history/operation.ts';
import type { Completion } from '../../runner/workload.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { deliveryQueueRecordsMax, fetchMaxWaitMs, pollRecordsMax, pollWaitMs } from './limits.ts';
import { type OperationCall, readFailed } from './outcomes.ts';
import { decodeRecordValue, offsetNumber } from './record-values.ts';

export class LogReader {
  private readonly queue = new DeliveryQueue(deliveryQueueRecordsMax);
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly topic: string,
  ) {}

  async poll(value: PollValue, call: OperationCall): Promise<Completion> {
    try {
      this.starting ??= this.start(call);
      await this.starting;
    } catch (error) {
      this.starting = undefined;
      return readFailed(value, error);
    }
    const { records } = await this.queue.take(pollRecordsMax, pollWaitMs, call.signal);
    return { type: 'ok', value: { ...value, records } };
  }

  private async start(call: OperationCall): Promise<void> {
    const consumer = this.client.consumer({ maxWaitMs: fetchMaxWaitMs });
    try {
      await consumer.connect(call);
      consumer.assign([{ topic: this.topic }], { fromBeginning: true });
      await consumer.run({
        eachMessage: ({ topic, partition, message }) =>
          this.queue.pushRecord({
            topic,
            partition,
            offset: offsetNumber(message.offset),
            value: decodeRecordValue(message.value),
          }),
      });
    } catch (error) {
      await consumer.disconnect({ timeoutMs: 1000 }).catch(() => {});
      throw error;
    }
    this.consumer = consumer;
  }

  async close(): Promise<void> {
    this.queue.close();
    await this.consumer?.disconnect({ timeoutMs: 2000 }).catch(() => {});
  }
}
