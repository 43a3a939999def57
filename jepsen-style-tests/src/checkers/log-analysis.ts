/**
 * The facts the log checkers share, computed once per history: every send and how it ended,
 * every record any reader observed, and per partition what was read.
 */
import { JepsenError } from '../errors.ts';
import {
  type CompletionType,
  type History,
  type Operation,
  type PollOperation,
  type ProcessId,
  partitionKey,
  type ReadBackOperation,
  type RecordValue,
  type SendOperation,
  sentValues,
  valueKey,
} from '../history/operation.ts';
import { pairOperations } from '../history/pairs.ts';

export interface SendFact {
  readonly value: RecordValue;
  readonly invoke: SendOperation;
  readonly completion: SendOperation | undefined;
  readonly outcome: CompletionType;
  readonly topic: string;
  /** From the ok completion, else from the invoke when the producer chose it. */
  readonly partition: number | undefined;
  /** Only an ok completion knows the offset. */
  readonly offset: number | undefined;
}

export interface Observation {
  readonly value: RecordValue;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The ok completion of the poll or read-back that saw it. */
  readonly op: PollOperation | ReadBackOperation;
  readonly process: ProcessId;
}

export interface PartitionFacts {
  readonly topic: string;
  readonly partition: number;
  /** Highest offset any reader observed (-1 when none). */
  readOffsetMax: number;
  /** Offsets known to hold a record: read by someone or acknowledged to a producer. */
  readonly knownOffsets: Set<number>;
  readonly completeReadBacks: ReadBackOperation[];
  readonly readBacks: ReadBackOperation[];
}

export interface LogAnalysis {
  /** Completion index of each paired operation → when its invoke started. */
  readonly startMsOf: ReadonlyMap<number, number>;
  readonly sends: ReadonlyMap<string, SendFact>;
  readonly observations: readonly Observation[];
  readonly observationsByValue: ReadonlyMap<string, readonly Observation[]>;
  readonly partitions: ReadonlyMap<string, PartitionFacts>;
}

const cache = new WeakMap<History, LogAnalysis>();

export function analyzeLog(history: History): LogAnalysis {
  const cached = cache.get(history);
  if (cached) return cached;
  const partitions = new Map<string, PartitionFacts>();
  const startMsOf = new Map<number, number>();
  for (const pair of pairOperations(history)) {
    if (pair.completion) startMsOf.set(pair.completion.index, pair.startMs);
  }
  const sends = collectSends(history, partitions);
  const observations = collectObservations(history, partitions);
  const observationsByValue = new Map<string, Observation[]>();
  for (const o of observations) {
    const key = valueKey(o.value);
    const list = observationsByValue.get(key);
    if (list) list.push(o);
    else observationsByValue.set(key, [o]);
  }
  const analysis = { startMsOf, sends, observations, observationsByValue, partitions };
  cache.set(history, analysis);
  return analysis;
}

export function partitionFacts(
  partitions: Map<string, PartitionFacts>,
  topic: string,
  partition: number,
): PartitionFacts {
  const key = partitionKey({ topic, partition });
  let facts = partitions.get(key);
  if (!facts) {
    facts = {
      topic,
      partition,
      readOffsetMax: -1,
      knownOffsets: new Set(),
      completeReadBacks: [],
      readBacks: [],
    };
    partitions.set(key, facts);
  }
  return facts;
}

function collectSends(
  history: History,
  partitions: Map<string, PartitionFacts>,
): Map<string, SendFact> {
  const sends = new Map<string, SendFact>();
  for (const pair of pairOperations(history)) {
    if (pair.invoke.f !== 'send') continue;
    const invoke = pair.invoke;
    const completion = pair.completion as SendOperation | undefined;
    const ok = pair.outcome === 'ok' ? completion?.value : undefined;
    const partition = ok?.partition ?? invoke.value.partition;
    // A pipelined send is one fact per value, in call order (which nonmonotonic-send checks).
    const offsets = ok ? [ok.offset, ...(ok.pipelinedOffsets ?? [])] : [];
    sentValues(invoke.value).forEach((value, i) => {
      const key = valueKey(value);
      if (sends.has(key)) {
        throw new JepsenError(
          'history-malformed',
          `operation ${invoke.index}: value ${value} sent twice; values must be unique`,
        );
      }
      const offset = offsets[i];
      sends.set(key, {
        value,
        invoke,
        completion,
        outcome: pair.outcome,
        topic: invoke.value.topic,
        partition,
        offset,
      });
      if (offset !== undefined && partition !== undefined) {
        partitionFacts(partitions, invoke.value.topic, partition).knownOffsets.add(offset);
      }
    });
  }
  return sends;
}

function collectObservations(
  history: History,
  partitions: Map<string, PartitionFacts>,
): Observation[] {
  const observations: Observation[] = [];
  const observe = (o: Observation): void => {
    observations.push(o);
    const facts = partitionFacts(partitions, o.topic, o.partition);
    facts.knownOffsets.add(o.offset);
    facts.readOffsetMax = Math.max(facts.readOffsetMax, o.offset);
  };
  for (const op of history) {
    if (op.type !== 'ok') continue;
    if (op.f === 'poll') {
      for (const r of op.value.records ?? []) observe({ ...r, op, process: op.process });
    } else if (op.f === 'read-back') {
      const facts = partitionFacts(partitions, op.value.topic, op.value.partition);
      facts.readBacks.push(op);
      if (op.value.complete === true) facts.completeReadBacks.push(op);
      for (const r of op.value.records ?? []) {
        observe({
          ...r,
          topic: op.value.topic,
          partition: op.value.partition,
          op,
          process: op.process,
        });
      }
    }
  }
  return observations;
}

/** Positions (as `partition@offset`) where a value was observed, without repeats. */
export function positionsOf(observations: readonly Observation[]): string[] {
  return [...new Set(observations.map((o) => `${partitionKey(o)}@${o.offset}`))];
}

export function describeOp(op: Operation): string {
  return `#${op.index} ${op.f} by ${op.process} at ${op.timeMs}ms`;
}
