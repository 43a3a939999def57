/**
 * The node process's recording state machine settles each proposal once: acknowledged when
 * its own entry applies at its index, superseded when another entry (another leader's, a
 * no-op) took the index or when this replica cut it from its log by proposing again below.
 */
import test from 'ava';
import { type Entry, EntryType } from '../../src/core/types.ts';
import { LatencyHistogram } from '../../test-support/latency-histogram.ts';
import { encodeProposals } from '../../test-support/proposal-payload.ts';
import {
  type PendingProposals,
  type ProposalOutcome,
  RecordingStateMachine,
} from '../../test-support/recording-machine.ts';

class Request implements PendingProposals {
  readonly outcomes = new Map<number, ProposalOutcome>();
  readonly proposedAtMs = performance.now();
  constructor(
    readonly ids: readonly number[],
    readonly indexFirst: number,
  ) {}
  settle(slot: number, outcome: ProposalOutcome): void {
    const id = this.ids[slot] as number;
    if (this.outcomes.has(id)) throw new Error(`id ${id} settled twice`);
    this.outcomes.set(id, outcome);
  }
}

function entries(indexFirst: number, ids: (number | undefined)[]): Entry[] {
  const payloads = encodeProposals(
    ids.map((id) => id ?? 0),
    100,
  );
  return ids.map((id, i) => ({
    index: indexFirst + i,
    term: 1,
    type: id === undefined ? EntryType.Noop : EntryType.Data,
    data: id === undefined ? new Uint8Array(0) : (payloads[i] as Uint8Array),
  }));
}

function machine(): RecordingStateMachine {
  return new RecordingStateMachine({
    group: 1,
    appliedLog: undefined,
    appliedIndex: 0,
    latency: new LatencyHistogram(),
  });
}

test('proposals settle as their indexes apply, across requests and partial applies', async (t) => {
  const m = machine();
  const first = new Request([10, 11, 12], 1);
  const second = new Request([20, 21], 4);
  m.track(first);
  m.track(second);
  t.is(m.pendingCount, 5);
  await m.apply(entries(1, [10, 11]));
  t.deepEqual(
    [...first.outcomes],
    [
      [10, 'acked'],
      [11, 'acked'],
    ],
  );
  t.is(m.pendingCount, 3);
  // Index 4 applied a no-op (another leader's): 20 can never commit there.
  await m.apply(entries(3, [12, undefined, 21]));
  t.is(first.outcomes.get(12), 'acked');
  t.deepEqual(
    [...second.outcomes],
    [
      [20, 'superseded'],
      [21, 'acked'],
    ],
  );
  t.is(m.pendingCount, 0);
});

test('proposing again below pending proposals supersedes every one cut from the log', async (t) => {
  const m = machine();
  const old = new Request([1, 2, 3, 4], 5);
  m.track(old);
  await m.apply(entries(1, [undefined, undefined, undefined, undefined]));
  // A new term: this replica's log was cut back to index 5 and it proposes at 6.
  const again = new Request([7], 6);
  m.track(again);
  t.deepEqual(
    [...old.outcomes],
    [
      [2, 'superseded'],
      [3, 'superseded'],
      [4, 'superseded'],
    ],
  );
  t.is(m.pendingCount, 2);
  await m.apply(entries(5, [1, 7]));
  t.is(old.outcomes.get(1), 'acked');
  t.is(again.outcomes.get(7), 'acked');
  t.is(m.pendingCount, 0);
});

test('a proposal whose index applies with another id is superseded, later ones still wait', async (t) => {
  const m = machine();
  const request = new Request([1, 2, 3], 1);
  m.track(request);
  await m.apply(entries(1, [99]));
  t.deepEqual([...request.outcomes], [[1, 'superseded']]);
  t.is(m.pendingCount, 2);
  t.is(m.forgetPending(), 2);
  await m.apply(entries(2, [2, 3]));
  t.is(request.outcomes.size, 1);
});
