/**
 * A workload in the Jepsen style: the generator (here, in the harness process) decides what to
 * do next; client processes only execute one operation at a time and report how it ended.
 * The client side is a module loaded into each client process, so the same workload drives
 * the real client library or, for testing the harness, the toy log server's client.
 */
import type { CheckerName } from '../checkers/check-result.ts';
import type { CompletionType, OperationInput, TopicPartition } from '../history/operation.ts';
import type { Prng } from '../prng.ts';

type DistributivePick<T, K extends keyof T> = T extends unknown ? Pick<T, K> : never;

/** What a client is asked to do: an operation's `f` and invoke value. */
export type OperationRequest = DistributivePick<OperationInput, 'f' | 'value'>;

/** How it ended; `value` has the shape of the request's value, completed (offsets, records...). */
export interface Completion {
  readonly type: CompletionType;
  readonly value: OperationRequest['value'];
  readonly node?: string;
  readonly error?: string;
  /**
   * Facts the client learned on its own while it worked (a group assignment), in the order it
   * learned them. Each is recorded as an `ok` operation of this process right after the
   * completion, so it sits between the polls it separates.
   */
  readonly observed?: readonly OperationRequest[];
}

/** Lives in a client process; executes one operation at a time. */
export interface WorkloadClient {
  /**
   * Executes one operation. Must settle by the time `signal` aborts (the operation timeout),
   * with `info` when the outcome is unknown, and use `fail` only when the operation certainly
   * had no effect. `deadline` is when `signal` fires, as a `Date.now()` time.
   */
  invoke(request: OperationRequest, signal: AbortSignal, deadline: number): Promise<Completion>;
  close(): Promise<void>;
}

/** The export `createClient` of a workload's client module. */
export type CreateWorkloadClient = (options: {
  readonly config: unknown;
}) => Promise<WorkloadClient>;

export interface GeneratorContext {
  readonly processId: number;
  /** Which client slot asks, from 0; stable across process ids (a slot is one client process). */
  readonly clientIndex: number;
  /** How this slot's last operation ended: given once, on the first call after it ended. */
  readonly previous?: { readonly f: OperationRequest['f']; readonly type: CompletionType };
  readonly prng: Prng;
  readonly elapsedMs: number;
}

export interface Workload {
  readonly name: string;
  /** Absolute path of the module that exports `createClient: CreateWorkloadClient`. */
  readonly clientModule: string;
  readonly clientCount: number;
  /** Partitions whose leaders the nemesis may aim at. */
  readonly partitions: readonly TopicPartition[];
  readonly checkers: readonly CheckerName[];
  /** Run once, in order, by one client, before the faults start (create topics...). */
  setup(): OperationRequest[];
  /** The next operation of an idle client, or undefined to let it rest a moment. */
  nextOperation(context: GeneratorContext): OperationRequest | undefined;
  /** After healing: one list of reads per reader, each read retried until it succeeds. */
  finalReads(): OperationRequest[][];
}
