/**
 * Pairs each invoke with its completion. A process has at most one operation outstanding, so
 * the next completion of a process completes its pending invoke. An invoke never completed
 * (the run ended, the client died) counts as indeterminate.
 */
import { JepsenError } from '../errors.ts';
import type { CompletionType, History, Operation, ProcessId } from './operation.ts';

export interface OperationPair<O extends Operation = Operation> {
  readonly invoke: O;
  readonly completion: O | undefined;
  readonly outcome: CompletionType;
  readonly startMs: number;
  /** Completion time; for an operation never completed, the end of the history. */
  readonly endMs: number;
}

/** All pairs, in invoke order. */
export function pairOperations(history: History): OperationPair[] {
  const pendingByProcess = new Map<ProcessId, Operation>();
  const completionByInvoke = new Map<Operation, Operation>();
  for (const op of history) {
    if (op.type === 'invoke') {
      if (pendingByProcess.has(op.process)) {
        throw malformed(`operation ${op.index}: process ${op.process} invoked twice`);
      }
      pendingByProcess.set(op.process, op);
      continue;
    }
    const invoke = pendingByProcess.get(op.process);
    if (invoke === undefined) {
      throw malformed(`operation ${op.index}: completion without invoke (${op.process})`);
    }
    if (invoke.f !== op.f) {
      throw malformed(`operation ${op.index}: completes ${invoke.f} with ${op.f}`);
    }
    pendingByProcess.delete(op.process);
    completionByInvoke.set(invoke, op);
  }
  const lastMs = history.reduce((max, op) => Math.max(max, op.timeMs), 0);
  const pairs: OperationPair[] = [];
  for (const op of history) {
    if (op.type !== 'invoke') continue;
    const completion = completionByInvoke.get(op);
    pairs.push({
      invoke: op,
      completion,
      outcome: completion ? (completion.type as CompletionType) : 'info',
      startMs: op.timeMs,
      endMs: completion ? completion.timeMs : lastMs,
    });
  }
  return pairs;
}

function malformed(message: string): JepsenError {
  return new JepsenError('history-malformed', message);
}
