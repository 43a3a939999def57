/** Builds histories by hand for checker tests: each call appends an invoke and its completion. */
import type {
  CompletionType,
  Operation,
  OperationInput,
  ProcessId,
  RecordValue,
  TopicDescription,
  TopicPartition,
} from '../../src/history/operation.ts';

export const topic = 't';

export class HistoryBuilder {
  readonly ops: Operation[] = [];
  private timeMs = 0;

  private push(input: OperationInput): void {
    this.timeMs += 1;
    this.ops.push({ ...input, timeMs: this.timeMs, index: this.ops.length } as Operation);
  }

  invoke(process: ProcessId, input: Omit<OperationInput, 'process' | 'type' | 'timeMs'>): this {
    this.push({ ...input, process, type: 'invoke', timeMs: 0 } as OperationInput);
    return this;
  }

  complete(
    process: ProcessId,
    type: CompletionType,
    input: Omit<OperationInput, 'process' | 'type' | 'timeMs'>,
  ): this {
    this.push({ ...input, process, type, timeMs: 0 } as OperationInput);
    return this;
  }

  send(
    process: number,
    value: RecordValue,
    at: { partition?: number; offset?: number; outcome?: CompletionType } = {},
  ): this {
    const partition = at.partition ?? 0;
    this.invoke(process, { f: 'send', value: { topic, partition, value } });
    const outcome = at.outcome ?? 'ok';
    const done =
      outcome === 'ok'
        ? { topic, partition, value, offset: at.offset }
        : { topic, partition, value };
    return this.complete(process, outcome, { f: 'send', value: done });
  }

  /** A pipelined send of `values` to one partition; ok gives `offsets`, one per value. */
  sendPipelined(
    process: number,
    values: [RecordValue, ...RecordValue[]],
    at: { partition?: number; offsets?: number[]; outcome?: CompletionType } = {},
  ): this {
    const partition = at.partition ?? 0;
    const [value, ...pipelined] = values;
    const sent = { topic, partition, value, pipelined };
    this.invoke(process, { f: 'send', value: sent });
    const outcome = at.outcome ?? 'ok';
    const [offset, ...pipelinedOffsets] = at.offsets ?? [];
    const done = outcome === 'ok' ? { ...sent, offset, pipelinedOffsets } : sent;
    return this.complete(process, outcome, { f: 'send', value: done });
  }

  poll(
    process: number,
    records: [partition: number, offset: number, value: RecordValue][],
    group?: string,
  ): this {
    this.invoke(process, { f: 'poll', value: group ? { group } : {} });
    const polled = records.map(([partition, offset, value]) => ({
      topic,
      partition,
      offset,
      value,
    }));
    return this.complete(process, 'ok', { f: 'poll', value: { group, records: polled } });
  }

  readBack(
    process: number,
    partition: number,
    values: RecordValue[],
    options: { offsetFirst?: number; offsets?: number[]; complete?: boolean } = {},
  ): this {
    const offsetFirst = options.offsetFirst ?? 0;
    const records = values.map((value, i) => ({
      offset: options.offsets?.[i] ?? offsetFirst + i,
      value,
    }));
    this.invoke(process, { f: 'read-back', value: { topic, partition, offsetFirst } });
    return this.complete(process, 'ok', {
      f: 'read-back',
      value: { topic, partition, offsetFirst, records, complete: options.complete ?? true },
    });
  }

  commit(
    process: number,
    group: string,
    partition: number,
    offset: number,
    outcome: CompletionType = 'ok',
  ): this {
    const value = { group, topic, partition, offset };
    this.invoke(process, { f: 'commit', value });
    return this.complete(process, outcome, { f: 'commit', value });
  }

  fetchOffset(process: number, group: string, partition: number, offset: number): this {
    this.invoke(process, { f: 'fetch-offset', value: { group, topic, partition } });
    return this.complete(process, 'ok', {
      f: 'fetch-offset',
      value: { group, topic, partition, offset },
    });
  }

  assign(
    process: number,
    group: string,
    generation: number,
    member: string,
    partitions: number[],
  ): this {
    const tps: TopicPartition[] = partitions.map((partition) => ({ topic, partition }));
    const value = { group, generation, member, partitions: tps };
    this.invoke(process, { f: 'assign', value });
    return this.complete(process, 'ok', { f: 'assign', value });
  }

  topicOp(
    process: number,
    f: 'create-topic' | 'delete-topic',
    name: string,
    outcome: CompletionType = 'ok',
  ): this {
    this.invoke(process, { f, value: { topic: name } });
    return this.complete(process, outcome, { f, value: { topic: name } });
  }

  describe(process: number, node: string, topics: TopicDescription[]): this {
    this.invoke(process, { f: 'describe-topics', value: { node } });
    return this.complete(process, 'ok', { f: 'describe-topics', value: { node, topics } });
  }

  fault(kind: string, targets: string[], f: 'fault-start' | 'fault-stop'): this {
    this.invoke('nemesis', { f, value: { kind, targets } });
    return this.complete('nemesis', 'ok', { f, value: { kind, targets } });
  }
}
