/**
 * The Processor API underneath the DSL, as in Kafka Streams: a processor receives records
 * one at a time, may read and write state stores of its task, forwards records to its
 * children, and may schedule punctuations on stream time or wall-clock time. Every DSL
 * operator is a processor; `KStream.process` plugs in one of the application's own.
 */
import type { RecordContext, StreamRecord } from './record.ts';

export type PunctuationType = 'stream-time' | 'wall-clock';

export interface Cancellable {
  cancel(): void;
}

export interface ProcessorContext {
  readonly applicationId: string;
  /** `<subtopology>_<partition>`. */
  readonly taskId: string;
  readonly partition: number;
  /** The input record being processed, undefined inside a wall-clock punctuation. */
  readonly recordContext: RecordContext | undefined;
  /** The largest timestamp this task has processed (−1 before the first record). */
  streamTimeMs(): number;
  /** Sends a record to every child, or to the named child only. */
  forward(record: StreamRecord, childName?: string): void;
  /** A store connected to this processor (see `StreamsBuilder.addStateStore`). */
  getStateStore<S>(name: string): S;
  /**
   * Calls `callback` every `intervalMs` of stream time (driven by record timestamps, so
   * deterministic on replay) or of wall-clock time (driven by a timer; not replayed).
   */
  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestampMs: number) => void,
  ): Cancellable;
}

export interface Processor<K = unknown, V = unknown> {
  init?(context: ProcessorContext): void;
  process(record: StreamRecord<K, V>): void;
  close?(): void;
}

export type ProcessorSupplier<K = unknown, V = unknown> = () => Processor<K, V>;

/** What the engine's own processors see beyond the public context. */
export interface InternalProcessorContext extends ProcessorContext {
  /** Counts and reports a record an operator dropped (late, negative timestamp...). */
  recordDropped(reason: string, record: StreamRecord): void;
}

export function reportDropped(
  context: ProcessorContext,
  reason: string,
  record: StreamRecord,
): void {
  (context as InternalProcessorContext).recordDropped?.(reason, record);
}
