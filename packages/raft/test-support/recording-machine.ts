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

export interface PendingProposal {
  readonly id: number;
  readonly proposedAtMs: number;
  readonly settle: (outcome: ProposalOutcome) => void;
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

export class RecordingStateMachine implements GroupStateMachine {
  private applied: number;
  private readonly pending = new Map<number, PendingProposal>();
  /** Data entries applied since the process started. */
  dataEntriesApplied = 0;

  constructor(private readonly options: RecordingMachineOptions) {
    this.applied = options.appliedIndex;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** A proposal this replica made as leader, at `index`; settled when `index` applies. */
  track(index: number, proposal: PendingProposal): void {
    assert(index > this.applied, 'a new proposal lies beyond the applied index');
    // A proposal of an earlier term of this replica at the same index was overwritten
    // (by another leader's entries, then by this one's new term): it can never commit.
    this.pending.get(index)?.settle('superseded');
    this.pending.set(index, proposal);
  }

  async apply(entries: readonly Entry[]): Promise<void> {
    const fresh = entries.filter((entry) => entry.index > this.applied);
    if (fresh.length === 0) return;
    const records: AppliedRecord[] = [];
    const ids: (number | undefined)[] = [];
    for (const entry of fresh) {
      const id = entry.type === EntryType.Data ? decodeProposalId(entry.data) : undefined;
      // Every data entry of these groups is a proposal payload; anything else is a bug
      // upstream, and throwing fences this group loudly.
      if (entry.type === EntryType.Data) assert(id !== undefined, `entry ${entry.index}: no id`);
      if (id !== undefined) records.push({ index: entry.index, term: entry.term, id });
      ids.push(id);
    }
    if (records.length > 0) await this.options.appliedLog?.append(this.options.group, records);
    this.applied = (fresh.at(-1) as Entry).index;
    this.dataEntriesApplied += records.length;
    this.settle(fresh, ids);
  }

  private settle(fresh: readonly Entry[], ids: readonly (number | undefined)[]): void {
    if (this.pending.size === 0) return;
    const now = performance.now();
    fresh.forEach((entry, i) => {
      const proposal = this.pending.get(entry.index);
      if (proposal === undefined) return;
      this.pending.delete(entry.index);
      if (ids[i] === proposal.id) {
        this.options.latency.record(now - proposal.proposedAtMs);
        proposal.settle('acked');
      } else {
        proposal.settle('superseded');
      }
    });
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
    const count = this.pending.size;
    this.pending.clear();
    return count;
  }
}
