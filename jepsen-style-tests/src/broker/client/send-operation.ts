/**
 * `send`: one record through the client's idempotent producer, with the acks the operation
 * names. The producer lives as long as the client process: after a timed-out send it keeps
 * retrying that batch in the background (exactly what idempotence must make safe), and later
 * sends queue behind it in order.
 */
import type { Client, Producer } from '@tributary/client';
import type { SendValue } from '../../history/operation.ts';
import type { Completion } from '../../runner/workload.ts';
import { describeError, type OperationCall, writeFailed } from './outcomes.ts';
import { encodeRecordValue, offsetNumber } from './record-values.ts';

type Acks = 0 | 'leader' | 'quorum' | 'all';

export function parseAcks(acks: string | undefined): Acks {
  switch (acks) {
    case undefined:
    case 'quorum':
      return 'quorum';
    case '0':
      return 0;
    case 'leader':
    case 'all':
      return acks;
    default:
      throw new RangeError(`unknown acks ${acks}`);
  }
}

export class SendOperation {
  private producer: Producer | undefined;

  constructor(private readonly client: Client) {}

  async send(value: SendValue, call: OperationCall): Promise<Completion> {
    let acks: Acks;
    try {
      acks = parseAcks(value.acks);
    } catch (error) {
      return { type: 'fail', value, error: describeError(error) };
    }
    let producer: Producer;
    try {
      producer = await this.connected(call);
    } catch (error) {
      return { type: 'fail', value, error: `producer not connected: ${describeError(error)}` };
    }
    try {
      const message = {
        value: encodeRecordValue(value.value),
        ...(value.partition === undefined ? {} : { partition: value.partition }),
      };
      const [written] = await producer.send({
        topic: value.topic,
        messages: [message],
        acks,
        ...call,
      });
      if (written === undefined) return { type: 'info', value, error: 'no record metadata' };
      return {
        type: 'ok',
        value: { ...value, partition: written.partition, offset: offsetNumber(written.baseOffset) },
      };
    } catch (error) {
      return writeFailed(value, error);
    }
  }

  /** Connecting sends no record: a failure here is a definite `fail` of the send. */
  private async connected(call: OperationCall): Promise<Producer> {
    if (this.producer === undefined) {
      this.producer = this.client.producer({ idempotent: true });
    }
    try {
      await this.producer.connect(call);
    } catch (error) {
      // A producer whose connect failed may be left half-open: start afresh next time.
      const failed = this.producer;
      this.producer = undefined;
      void failed.disconnect({ timeoutMs: 1000 }).catch(() => {});
      throw error;
    }
    return this.producer;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect({ timeoutMs: 2000 }).catch(() => {});
  }
}
