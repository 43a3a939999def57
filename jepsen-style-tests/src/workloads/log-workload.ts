/**
 * The *log* workload: clients send unique values to random partitions of one topic and poll
 * forward; after the faults heal, several readers read every partition from the start.
 * Checked by every log checker (lost, duplicated, reordered, phantom records...).
 */
import { logCheckers } from '../checkers/index.ts';
import type { TopicPartition } from '../history/operation.ts';
import type { GeneratorContext, OperationRequest, Workload } from '../runner/workload.ts';

export interface LogWorkloadOptions {
  readonly clientModule: string;
  readonly topic: string;
  readonly partitions: number;
  readonly clientCount: number;
  readonly readers: number;
  /** Share of operations that are sends (the rest are polls). */
  readonly sendShare?: number;
  /** Producer acks to ask for, when the client supports it. */
  readonly acks?: string;
  /** Create the topic during setup (a real broker needs it; the toy has fixed partitions). */
  readonly createTopic?: boolean;
}

export function logWorkload(options: LogWorkloadOptions): Workload {
  const partitions: TopicPartition[] = Array.from(
    { length: options.partitions },
    (_, partition) => ({
      topic: options.topic,
      partition,
    }),
  );
  let nextValue = 0;
  const sendShare = options.sendShare ?? 0.7;
  return {
    name: 'log',
    clientModule: options.clientModule,
    clientCount: options.clientCount,
    partitions,
    checkers: logCheckers,
    setup: () =>
      options.createTopic
        ? [{ f: 'create-topic', value: { topic: options.topic, partitions: options.partitions } }]
        : [],
    nextOperation: ({ prng }: GeneratorContext): OperationRequest => {
      if (prng.chance(sendShare)) {
        const value = {
          topic: options.topic,
          partition: prng.intBetween(0, options.partitions - 1),
          value: nextValue++,
          ...(options.acks ? { acks: options.acks } : {}),
        };
        return { f: 'send', value };
      }
      return { f: 'poll', value: {} };
    },
    finalReads: () =>
      Array.from({ length: options.readers }, () =>
        partitions.map(
          (tp): OperationRequest => ({ f: 'read-back', value: { ...tp, offsetFirst: 0 } }),
        ),
      ),
  };
}
