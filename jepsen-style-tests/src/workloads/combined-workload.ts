/**
 * Several workloads in one run, against one cluster and under one nemesis: each gets its own
 * range of client slots (the generator of the workload that owns a slot answers for it, with
 * the slot's index within that workload), the setups run in order, final reads run side by
 * side (reader i does every workload's reads of reader i), and every checker of every
 * workload runs over the one history.
 */
import { assert } from '../assert.ts';
import type { CheckerName } from '../checkers/check-result.ts';
import type { OperationRequest, Workload } from '../runner/workload.ts';

export function combineWorkloads(workloads: readonly Workload[]): Workload {
  assert(workloads.length > 0, 'combine at least one workload');
  const module = workloads[0]!.clientModule;
  assert(
    workloads.every((w) => w.clientModule === module),
    'combined workloads share one client module',
  );
  const firstSlot: number[] = [];
  let slots = 0;
  for (const w of workloads) {
    firstSlot.push(slots);
    slots += w.clientCount;
  }
  const owner = (clientIndex: number): number => {
    let index = 0;
    while (index + 1 < workloads.length && firstSlot[index + 1]! <= clientIndex) index++;
    return index;
  };
  return {
    name: workloads.map((w) => w.name).join('+'),
    clientModule: module,
    clientCount: slots,
    partitions: workloads.flatMap((w) => w.partitions),
    checkers: [...new Set<CheckerName>(workloads.flatMap((w) => w.checkers))],
    setup: () => workloads.flatMap((w) => w.setup()),
    nextOperation: (context) => {
      const index = owner(context.clientIndex);
      return workloads[index]!.nextOperation({
        ...context,
        clientIndex: context.clientIndex - firstSlot[index]!,
      });
    },
    finalReads: () => {
      const lists = workloads.map((w) => w.finalReads());
      const readers = Math.max(...lists.map((l) => l.length));
      return Array.from({ length: readers }, (_, i) =>
        lists.flatMap((l): OperationRequest[] => l[i] ?? []),
      );
    },
  };
}
