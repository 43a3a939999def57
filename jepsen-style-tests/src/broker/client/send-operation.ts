/**
 * `send`: one record through an idempotent producer, with the acks the operation names; one
 * producer per acks level. A producer lives as long as the client process: after a timed-out
 * send it keeps retrying that batch in the background (exactly what idempotence must make
 * safe), and later sends of the same producer queue behind it in order. Separate producers
 * per acks level keep a `quorum` send from queueing behind an `all` send that cannot finish
 * while any replica is down (it needs every replica), so `quorum` writes are exercised
 * through single-node faults instead of timing out with them.
 */
import type { Client, Producer } from '@tributary/client';
import { type SendValue, sentValues } from '../../history/operation.ts';
import type { Completion } from '../../runner/workload.ts';
import {
  describeError,
  type OperationCall,
  refusedBeforeSending,
  writeFailed,
} from './outcomes.ts';
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
  private readonly producers = new Map<Acks, Producer>();

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
      producer = await this.connected(acks, call);
    } catch (error) {
      return { type: 'fail', value, error: `producer not connected: ${describeError(error)}` };
    }
    if (value.pipelined !== undefined) return this.sendPipelined(producer, value, acks, call);
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

  /**
   * One `send` call per value, to the value's partition, each made without awaiting the one
   * before: the producer must write them in call order (see SendValue).
   */
  private async sendPipelined(
    producer: Producer,
    value: SendValue,
    acks: Acks,
    call: OperationCall,
  ): Promise<Completion> {
    if (value.partition === undefined)
      return { type: 'fail', value, error: 'a pipelined send names its partition' };
    const calls = sentValues(value).map((v) =>
      producer.send({
        topic: value.topic,
        messages: [{ value: encodeRecordValue(v), partition: value.partition }],
        acks,
        ...call,
      }),
    );
    const outcomes = await Promise.allSettled(calls);
    const offsets: number[] = [];
    const errors: unknown[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') errors.push(outcome.reason);
      else if (outcome.value[0] !== undefined)
        offsets.push(offsetNumber(outcome.value[0].baseOffset));
    }
    if (offsets.length === outcomes.length) {
      const [offset, ...pipelinedOffsets] = offsets as [number, ...number[]];
      return { type: 'ok', value: { ...value, offset, pipelinedOffsets } };
    }
    // fail claims no value was written: only when every call was refused before sending.
    const allRefused = errors.length === outcomes.length && errors.every(refusedBeforeSending);
    const error = errors.length > 0 ? describeError(errors[0]) : 'no record metadata';
    return { type: allRefused ? 'fail' : 'info', value, error };
  }

  /** Connecting sends no record: a failure here is a definite `fail` of the send. */
  private async connected(acks: Acks, call: OperationCall): Promise<Producer> {
    let producer = this.producers.get(acks);
    if (producer === undefined) {
      producer = this.client.producer({ idempotent: true });
      this.producers.set(acks, producer);
    }
    try {
      await producer.connect(call);
    } catch (error) {
      // A producer whose connect failed may be left half-open: start afresh next time.
      this.producers.delete(acks);
      void producer.disconnect({ timeoutMs: 1000 }).catch(() => {});
      throw error;
    }
    return producer;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.producers.values()].map((p) => p.disconnect({ timeoutMs: 2000 }).catch(() => {})),
    );
  }
}
