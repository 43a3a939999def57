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

export class RecordingStateMachine implements GroupStateMachine {
  private applied: number;
  /** Proposals waiting to apply, by index (one map entry per index, no object per entry). */
  private readonly pending = new Map<number, PendingProposals>();
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

  /** Proposals this replica made as leader; each settles when its index applies. */
  track(proposals: PendingProposals): void {
    const { indexFirst, ids } = proposals;
    assert(indexFirst > this.applied, 'new proposals lie beyond the applied index');
    for (let slot = 0; slot < ids.length; slot++) {
      const index = indexFirst + slot;
      // A proposal of an earlier term of this replica at the same index was overwritten
      // (by another leader's entries, then by this one's new term): it can never commit.
      const earlier = this.pending.get(index);
      earlier?.settle(index - earlier.indexFirst, 'superseded');
      this.pending.set(index, proposals);
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
      assert(id !== undefined, `entry ${entry.index}: no id`);
      dataEntries += 1;
      ids[i] = id;
      if (appliedLog !== undefined) records.push({ index: entry.index, term: entry.term, id });
    }
    if (records.length > 0) await appliedLog?.append(this.options.group, records);
    this.applied = (fresh.at(-1) as Entry).index;
    this.dataEntriesApplied += dataEntries;
    this.settle(fresh, ids);
  }

  private settle(fresh: readonly Entry[], ids: readonly (number | undefined)[]): void {
    if (this.pending.size === 0) return;
    const now = performance.now();
    for (let i = 0; i < fresh.length; i++) {
      const index = (fresh[i] as Entry).index;
      const proposals = this.pending.get(index);
      if (proposals === undefined) continue;
      this.pending.delete(index);
      const slot = index - proposals.indexFirst;
      if (ids[i] === proposals.ids[slot]) {
        this.options.latency.record(now - proposals.proposedAtMs);
        proposals.settle(slot, 'acked');
      } else {
        proposals.settle(slot, 'superseded');
      }
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
    const count = this.pending.size;
    this.pending.clear();
    return count;
  }
}
