/**
 * The *log* workload: clients send unique values to random partitions of one topic, with
 * acks drawn from a list (e.g. `quorum` and `all`), some of them pipelined (several `send`
 * calls without awaiting, which must land in call order), and poll forward; after the faults heal,
 * several readers read every partition from the start. Checked by every log checker (lost,
 * duplicated, reordered, phantom records...).
 */
import { logCheckers } from '../checkers/index.ts';
import type { TopicPartition } from '../history/operation.ts';
import type { GeneratorContext, OperationRequest, Workload } from '../runner/workload.ts';
import { ValueSource } from './value-source.ts';

export interface LogWorkloadOptions {
  readonly clientModule: string;
  readonly topic: string;
  readonly partitions: number;
  readonly clientCount: number;
  readonly readers: number;
  /** Share of operations that are sends (the rest are polls). */
  readonly sendShare?: number;
  /**
   * Share of sends that are pipelined: 2 to 5 values to one partition by `send` calls made
   * without awaiting each other (default 0: only clients that support it ask for it).
   */
  readonly pipelinedShare?: number;
  /** Producer acks to ask for (one drawn per send), when the client supports it. */
  readonly acks?: string | readonly string[];
  /** Create the topic during setup (a real broker needs it; the toy has fixed partitions). */
  readonly createTopic?: boolean;
  /** Shared with other workloads of the run, so values stay unique across all of them. */
  readonly values?: ValueSource;
}

export function logWorkload(options: LogWorkloadOptions): Workload {
  const partitions: TopicPartition[] = Array.from(
    { length: options.partitions },
    (_, partition) => ({
      topic: options.topic,
      partition,
    }),
  );
  const values = options.values ?? new ValueSource();
  const sendShare = options.sendShare ?? 0.7;
  const pipelinedShare = options.pipelinedShare ?? 0;
  const acks = typeof options.acks === 'string' ? [options.acks] : (options.acks ?? []);
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
        const first = values.next();
        // No draw at share 0: the operations of a seed stay what they were before pipelining.
        const pipelined =
          pipelinedShare > 0 && prng.chance(pipelinedShare)
            ? Array.from({ length: prng.intBetween(1, 4) }, () => values.next())
            : undefined;
        const value = {
          topic: options.topic,
          partition: prng.intBetween(0, options.partitions - 1),
          value: first,
          ...(pipelined === undefined ? {} : { pipelined }),
          ...(acks.length > 0 ? { acks: prng.pick(acks) } : {}),
        };
        return { f: 'send', value };
      }
      return { f: 'poll', value: { topic: options.topic } };
    },
    finalReads: () =>
      Array.from({ length: options.readers }, () =>
        partitions.map(
          (tp): OperationRequest => ({ f: 'read-back', value: { ...tp, offsetFirst: 0 } }),
        ),
      ),
  };
}
