/**
 * The state machine of a node process's group: it records every applied data entry (its
 * index, term and proposal id) in the node's applied-entries file, and settles the
 * proposals this replica made once their index is applied: acknowledged when the entry
 * applied there is the proposal's own, superseded when another entry took its index (its
 * leader lost the term and the proposal was overwritten before it committed).
 *
 * After a restart it skips entries up to the index its file already holds (the host may
 * replay from an older durable commit index), so nothing is recorded twice. It never
 * installs a snapshot: node processes never compact, so none is ever sent.
 */
import type { Entry, Snapshot, SoftState } from '../src/core/types.ts';
import { EntryType } from '../src/core/types.ts';
import { assert } from '../src/durable/assert.ts';
import type { GroupStateMachine } from '../src/host/hosted-group.ts';
import type { AppliedLog, AppliedRecord } from './applied-log.ts';
import type { LatencyHistogram } from './latency-histogram.ts';
import { decodeProposalId } from './proposal-payload.ts';

export type ProposalOutcome = 'acked' | 'superseded';

/** Proposals this replica made as leader in one request, at consecutive indexes. */
export interface PendingProposals {
  readonly ids: readonly number[];
  readonly indexFirst: number;
  readonly proposedAtMs: number;
  /** Settles the proposal at `indexFirst + slot`. */
  settle(slot: number, outcome: ProposalOutcome): void;
}

export interface RecordingMachineOptions {
  readonly group: number;
  /** Where applied entries are recorded; undefined keeps nothing (benchmarks). */
  readonly appliedLog: AppliedLog | undefined;
  /** The highest index already recorded (from the applied file); later entries only. */
  readonly appliedIndex: number;
  /** Told each acknowledged proposal's commit latency (propose to apply here), ms. */
  readonly latency: LatencyHistogram;
}

/** Slots [from, to) of a request still waiting to apply, at indexes indexFirst + slot. */
interface PendingRun {
  readonly proposals: PendingProposals;
  from: number;
  readonly to: number;
}

export class RecordingStateMachine implements GroupStateMachine {
  private applied: number;
  /**
   * Proposals waiting to apply, as runs of consecutive indexes in increasing index order
   * (a queue read from `head`): settling walks it alongside the applied entries. A map
   * keyed by index cost three map operations per entry (about 5% of a node's CPU at 100 groups).
   */
  private pending: PendingRun[] = [];
  private head = 0;
  private pendingSlots = 0;
  /** Data entries applied since the process started. */
  dataEntriesApplied = 0;

  constructor(private readonly options: RecordingMachineOptions) {
    this.applied = options.appliedIndex;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get pendingCount(): number {
    return this.pendingSlots;
  }

  /**
   * Proposals this replica made as leader; each settles when its index applies. Proposals
   * of an earlier term of this replica at or after `indexFirst` were cut from its log (a
   * new leader's entries replaced them before it proposed here at `indexFirst`, right after
   * its last index): they can never commit, so they are superseded now.
   */
  track(proposals: PendingProposals): void {
    const { indexFirst, ids } = proposals;
    assert(indexFirst > this.applied, 'new proposals lie beyond the applied index');
    this.supersedeFrom(indexFirst);
    this.pending.push({ proposals, from: 0, to: ids.length });
    this.pendingSlots += ids.length;
  }

  private supersedeFrom(index: number): void {
    while (this.pending.length > this.head) {
      const run = this.pending.at(-1) as PendingRun;
      const cut = Math.max(run.from, index - run.proposals.indexFirst);
      if (cut >= run.to) return;
      for (let slot = cut; slot < run.to; slot++) run.proposals.settle(slot, 'superseded');
      this.pendingSlots -= run.to - cut;
      this.pending.pop();
      if (cut > run.from) this.pending.push({ proposals: run.proposals, from: run.from, to: cut });
    }
  }

  async apply(entries: readonly Entry[]): Promise<void> {
    // Entries are in index order: skip those already applied before a restart.
    let from = 0;
    while (from < entries.length && (entries[from] as Entry).index <= this.applied) from++;
    if (from === entries.length) return;
    const fresh = from === 0 ? entries : entries.slice(from);
    const appliedLog = this.options.appliedLog;
    const records: AppliedRecord[] = [];
    const ids: (number | undefined)[] = new Array(fresh.length);
    let dataEntries = 0;
    for (let i = 0; i < fresh.length; i++) {
      const entry = fresh[i] as Entry;
      if (entry.type !== EntryType.Data) continue;
      const id = decodeProposalId(entry.data);
      // Every data entry of these groups is a proposal payload; anything else is a bug
      // upstream, and throwing fences this group loudly.
      if (id === undefined) assert(false, `entry ${entry.index}: no id`);
      dataEntries += 1;
      ids[i] = id;
      if (appliedLog !== undefined) records.push({ index: entry.index, term: entry.term, id });
    }
    if (records.length > 0) await appliedLog?.append(this.options.group, records);
    this.applied = (fresh.at(-1) as Entry).index;
    this.dataEntriesApplied += dataEntries;
    this.settle(fresh, ids);
  }

  /** Settles every pending proposal at an index `fresh` applied (it holds consecutive ones). */
  private settle(fresh: readonly Entry[], ids: readonly (number | undefined)[]): void {
    if (this.pendingSlots === 0) return;
    const indexFirst = (fresh[0] as Entry).index;
    const indexLast = indexFirst + fresh.length - 1;
    const now = performance.now();
    while (this.head < this.pending.length) {
      const run = this.pending[this.head] as PendingRun;
      const runFirst = run.proposals.indexFirst;
      // Indexes apply in order, and proposals were tracked beyond the applied index.
      assert(runFirst + run.from >= indexFirst, 'a pending proposal was skipped');
      if (runFirst + run.from > indexLast) break;
      const slotEnd = Math.min(run.to, indexLast - runFirst + 1);
      for (let slot = run.from; slot < slotEnd; slot++) {
        if (ids[runFirst + slot - indexFirst] === run.proposals.ids[slot]) {
          this.options.latency.record(now - run.proposals.proposedAtMs);
          run.proposals.settle(slot, 'acked');
        } else {
          run.proposals.settle(slot, 'superseded');
        }
      }
      this.pendingSlots -= slotEnd - run.from;
      run.from = slotEnd;
      if (run.from < run.to) break;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  async restore(snapshot: Snapshot): Promise<void> {
    throw new Error(
      `group ${this.options.group}: snapshot at ${snapshot.metadata.index} offered, but node processes never compact`,
    );
  }

  onSoftState(_state: SoftState, _term: number): void {
    // Pending proposals stay: if this replica lost leadership they settle when their
    // index is applied (as acknowledged, if the new leader committed them after all).
  }

  /** Forgets pending proposals (their requests time out as unknown); returns how many. */
  forgetPending(): number {
    const count = this.pendingSlots;
    this.pending = [];
    this.head = 0;
    this.pendingSlots = 0;
    return count;
  }
}
