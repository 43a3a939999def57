/**
 * A consumer process reads each partition forward: consecutive records it receives on one
 * partition (within one poll and across its polls) form a sequence. The sequence restarts
 * when the process is assigned partitions again (a rebalance may rewind it to the committed
 * offset, legitimately).
 */
import type { History, PolledRecord, ProcessId } from '../history/operation.ts';
import { partitionKey } from '../history/operation.ts';

export interface PollStep {
  readonly process: ProcessId;
  readonly partition: string;
  readonly previous: PolledRecord & { readonly poll: number };
  readonly next: PolledRecord & { readonly poll: number };
}

/** Calls `visit` for each pair of consecutive records of a process on a partition. */
export function forEachPollStep(history: History, visit: (step: PollStep) => void): void {
  const last = new Map<ProcessId, Map<string, PolledRecord & { poll: number }>>();
  for (const op of history) {
    if (op.type !== 'ok') continue;
    if (op.f === 'assign') {
      last.delete(op.process);
      continue;
    }
    if (op.f !== 'poll') continue;
    let positions = last.get(op.process);
    if (!positions) {
      positions = new Map();
      last.set(op.process, positions);
    }
    for (const record of op.value.records ?? []) {
      const partition = partitionKey(record);
      const next = { ...record, poll: op.index };
      const previous = positions.get(partition);
      if (previous) visit({ process: op.process, partition, previous, next });
      positions.set(partition, next);
    }
  }
}
