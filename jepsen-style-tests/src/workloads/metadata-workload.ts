/**
 * The *metadata* workload: clients create topics under fresh names and delete topics whose
 * creation was acknowledged, while the faults run. A name is never reused, and a topic whose
 * creation or deletion was indeterminate is left alone, so every topic's expected end state
 * follows from its own few operations. After the faults heal, every node is asked which
 * topics it knows; checked: all nodes agree, acknowledged creations are present and
 * acknowledged deletions absent.
 */
import { metadataCheckers } from '../checkers/index.ts';
import type { GeneratorContext, OperationRequest, Workload } from '../runner/workload.ts';

export interface MetadataWorkloadOptions {
  readonly clientModule: string;
  /** Topic names are `<prefix>-<n>`. */
  readonly prefix: string;
  readonly clientCount: number;
  /** The nodes to ask at the end (by the names the cluster gives them). */
  readonly nodes: readonly string[];
  /** Partitions of a new topic: 1 up to this. */
  readonly partitionsMax?: number;
  /** Least time between two operations of one client. */
  readonly pauseMs?: number;
  /** Live (created, not deleted) topics kept at most; above it clients only delete. */
  readonly liveTopicsMax?: number;
}

export function metadataWorkload(options: MetadataWorkloadOptions): Workload {
  let nextTopic = 0;
  const live = new Set<string>();
  const lastRequest = new Map<number, OperationRequest>();
  const nextAllowedMs = new Map<number, number>();
  const pauseMs = options.pauseMs ?? 400;
  const learn = (clientIndex: number, previous: GeneratorContext['previous']): void => {
    const request = lastRequest.get(clientIndex);
    if (previous === undefined || request === undefined || previous.type !== 'ok') return;
    if (request.f === 'create-topic') live.add(request.value.topic);
  };
  return {
    name: 'metadata',
    clientModule: options.clientModule,
    clientCount: options.clientCount,
    partitions: [],
    checkers: metadataCheckers,
    setup: () => [],
    nextOperation: ({ clientIndex, previous, prng, elapsedMs }) => {
      learn(clientIndex, previous);
      if (elapsedMs < (nextAllowedMs.get(clientIndex) ?? 0)) return undefined;
      nextAllowedMs.set(clientIndex, elapsedMs + pauseMs);
      let request: OperationRequest;
      const create =
        live.size === 0 || (live.size < (options.liveTopicsMax ?? 6) && prng.chance(0.55));
      if (create) {
        const topic = `${options.prefix}-${nextTopic++}`;
        request = {
          f: 'create-topic',
          value: { topic, partitions: prng.intBetween(1, options.partitionsMax ?? 2) },
        };
      } else {
        const topic = prng.pick([...live].sort());
        // Deleted or not, it is never touched again: its last operation decides its fate.
        live.delete(topic);
        request = { f: 'delete-topic', value: { topic } };
      }
      lastRequest.set(clientIndex, request);
      return request;
    },
    finalReads: () => [
      options.nodes.map((node): OperationRequest => ({ f: 'describe-topics', value: { node } })),
    ],
  };
}
