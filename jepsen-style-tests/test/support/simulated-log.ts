/**
 * Histories from a simulated correct log, for property tests of the checkers. Producers send
 * unique values (overlapping in time); each send is applied when it completes, or, when
 * indeterminate, maybe applied; consumers poll forward; at the end readers read every
 * partition completely. Everything a correct system may do, nothing it may not.
 */
import type {
  CompletionType,
  Operation,
  OperationInput,
  PolledRecord,
} from '../../src/history/operation.ts';

export const topic = 't';

export type SendFate = 'ok' | 'info-applied' | 'info-unapplied' | 'fail';

export interface LogStep {
  /** Which actor acts: taken modulo the number of producers plus consumers. */
  readonly actor: number;
  readonly partition: number;
  readonly fate: SendFate;
  readonly pollMax: number;
}

export interface LogPlan {
  readonly partitions: number;
  readonly producers: number;
  readonly consumers: number;
  readonly readers: number;
  readonly steps: readonly LogStep[];
}

interface Pending {
  readonly process: number;
  readonly value: number;
  readonly partition: number;
  readonly fate: SendFate;
}

export function simulateLog(plan: LogPlan): Operation[] {
  const history = new SimulatedHistory();
  const log: number[][] = Array.from({ length: plan.partitions }, () => []);
  const producerProcess = Array.from({ length: plan.producers }, (_, i) => i);
  const pending: (Pending | undefined)[] = Array.from({ length: plan.producers }, () => undefined);
  const positions = Array.from({ length: plan.consumers }, () =>
    new Array<number>(plan.partitions).fill(0),
  );
  let nextProcess = plan.producers + plan.consumers + plan.readers;
  let nextValue = 0;
  const complete = (slot: number): void => {
    const p = pending[slot]!;
    pending[slot] = undefined;
    const applied = p.fate === 'ok' || p.fate === 'info-applied';
    const offset = log[p.partition]!.length;
    if (applied) log[p.partition]!.push(p.value);
    const type: CompletionType = p.fate === 'ok' ? 'ok' : p.fate === 'fail' ? 'fail' : 'info';
    const value = {
      topic,
      partition: p.partition,
      value: p.value,
      ...(type === 'ok' ? { offset } : {}),
    };
    history.push({
      process: p.process,
      type,
      f: 'send',
      value,
      ...(type === 'fail' ? { error: 'rejected' } : {}),
    });
    // After an indeterminate operation a process is never reused (Jepsen's rule).
    if (type === 'info') producerProcess[slot] = nextProcess++;
  };
  for (const step of plan.steps) {
    const actor = step.actor % (plan.producers + plan.consumers);
    if (actor < plan.producers) {
      if (pending[actor]) {
        complete(actor);
        continue;
      }
      const send = {
        process: producerProcess[actor]!,
        value: nextValue++,
        partition: step.partition % plan.partitions,
        fate: step.fate,
      };
      pending[actor] = send;
      history.push({
        process: send.process,
        type: 'invoke',
        f: 'send',
        value: { topic, partition: send.partition, value: send.value },
      });
    } else {
      const consumer = actor - plan.producers;
      poll(history, plan.producers + consumer, log, positions[consumer]!, step.pollMax);
    }
  }
  for (let slot = 0; slot < plan.producers; slot++) if (pending[slot]) complete(slot);
  readBackAll(history, plan, log);
  return history.ops;
}

function poll(
  history: SimulatedHistory,
  process: number,
  log: number[][],
  position: number[],
  max: number,
): void {
  history.push({ process, type: 'invoke', f: 'poll', value: {} });
  const records: PolledRecord[] = [];
  for (let partition = 0; partition < log.length && records.length < max; partition++) {
    while (records.length < max && position[partition]! < log[partition]!.length) {
      const offset = position[partition]!;
      records.push({ topic, partition, offset, value: log[partition]![offset]! });
      position[partition] = offset + 1;
    }
  }
  history.push({ process, type: 'ok', f: 'poll', value: { records } });
}

function readBackAll(history: SimulatedHistory, plan: LogPlan, log: number[][]): void {
  for (let reader = 0; reader < plan.readers; reader++) {
    const process = plan.producers + plan.consumers + reader;
    for (let partition = 0; partition < plan.partitions; partition++) {
      history.push({
        process,
        type: 'invoke',
        f: 'read-back',
        value: { topic, partition, offsetFirst: 0 },
      });
      const records = log[partition]!.map((value, offset) => ({ offset, value }));
      history.push({
        process,
        type: 'ok',
        f: 'read-back',
        value: { topic, partition, offsetFirst: 0, records, complete: true },
      });
    }
  }
}

export class SimulatedHistory {
  readonly ops: Operation[] = [];

  push(input: Omit<OperationInput, 'timeMs'>): void {
    this.ops.push({ ...input, timeMs: this.ops.length, index: this.ops.length } as Operation);
  }
}
