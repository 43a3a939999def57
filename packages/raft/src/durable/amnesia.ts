/**
 * Protocol-aware recovery: compares what the WAL recovered for a group with what the
 * acknowledged-state file says the node had made durable (and so may have acknowledged),
 * and decides whether the replica must stay out of elections until it re-learns.
 *
 * Rules (docs/raft-runtime.md, "Protocol-aware recovery"):
 * 1. The log must still hold the acknowledged last entry (ackIndex, ackTerm), or a
 *    snapshot at or past it. If the log ends before ackIndex, voting is disabled until
 *    the log reaches ackIndex again. If the log holds ackIndex with another term, the log
 *    is an older, diverged copy: voting is disabled until lastIndex + 1, which the log can
 *    only reach through a leader's append that passed the consistency check at lastIndex,
 *    and so agrees with the leader's log up to there (Log Matching).
 * 2. A fence recorded earlier and not yet reached carries over.
 * 3. The hard state must not go back in time: if the WAL's (term, vote) is older than the
 *    acknowledged one, the acknowledged one is used, so the node never votes twice in a
 *    term. Both voting differently in one term is corruption.
 * 4. If the group's acknowledged state cannot be read (its slot pair damaged, or the file
 *    missing and allowed to be), nothing can be verified: rule 1's second case applies
 *    and the hard state is reported unverified.
 */
import type { HardState } from '../core/types.ts';
import type { AcknowledgedGroup } from './acknowledged-file.ts';

export type AmnesiaReason =
  | 'log-behind-acknowledged'
  | 'log-diverged-from-acknowledged'
  | 'fence-carried-over'
  | 'acknowledged-state-unreadable'
  | 'hard-state-behind-acknowledged';

export interface RecoveredLogView {
  readonly baseIndex: number;
  readonly lastIndex: number;
  term(index: number): number | undefined;
}

export interface AmnesiaAssessment {
  readonly votingDisabledUntilIndex: number;
  readonly hardState: HardState;
  readonly reasons: readonly AmnesiaReason[];
  /** Set when the WAL and the acknowledged file disagree about the vote in one term. */
  readonly conflict: string | undefined;
}

export function assessAmnesia(
  log: RecoveredLogView,
  walHardState: HardState,
  acknowledged: AcknowledgedGroup | undefined,
  acknowledgedUnreadable: boolean,
): AmnesiaAssessment {
  const reasons: AmnesiaReason[] = [];
  let fence = 0;
  let hardState = walHardState;
  let conflict: string | undefined;
  if (acknowledged === undefined) {
    if (acknowledgedUnreadable && (log.lastIndex > 0 || walHardState.term > 0)) {
      fence = log.lastIndex + 1;
      reasons.push('acknowledged-state-unreadable');
    }
  } else {
    fence = fenceFromLog(log, acknowledged, reasons);
    if (acknowledged.votingDisabledUntilIndex > fence) {
      fence = acknowledged.votingDisabledUntilIndex;
      reasons.push('fence-carried-over');
    }
    const restored = restoreHardState(walHardState, acknowledged);
    if (typeof restored === 'string') conflict = restored;
    else if (restored !== walHardState) {
      hardState = restored;
      reasons.push('hard-state-behind-acknowledged');
    }
  }
  if (fence <= log.lastIndex) fence = 0;
  const commit = Math.min(hardState.commit, log.lastIndex);
  if (commit !== hardState.commit) hardState = { ...hardState, commit };
  return { votingDisabledUntilIndex: fence, hardState, reasons, conflict };
}

function fenceFromLog(
  log: RecoveredLogView,
  acknowledged: AcknowledgedGroup,
  reasons: AmnesiaReason[],
): number {
  const { ackIndex, ackTerm } = acknowledged;
  if (ackIndex === 0) return 0;
  if (log.lastIndex < ackIndex) {
    reasons.push('log-behind-acknowledged');
    return ackIndex;
  }
  // Below the base, the entry was compacted into a snapshot of committed state.
  if (ackIndex < log.baseIndex) return 0;
  if (log.term(ackIndex) !== ackTerm) {
    reasons.push('log-diverged-from-acknowledged');
    return log.lastIndex + 1;
  }
  return 0;
}

function restoreHardState(wal: HardState, acknowledged: AcknowledgedGroup): HardState | string {
  if (wal.term > acknowledged.term) return wal;
  if (wal.term < acknowledged.term) {
    return { term: acknowledged.term, vote: acknowledged.vote, commit: wal.commit };
  }
  if (acknowledged.vote === 0 || wal.vote === acknowledged.vote) return wal;
  if (wal.vote === 0) return { ...wal, vote: acknowledged.vote };
  return `term ${wal.term}: the WAL says vote ${wal.vote}, the acknowledged file ${acknowledged.vote}`;
}
