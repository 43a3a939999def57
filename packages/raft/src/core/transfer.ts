/**
 * Leadership transfer (Raft thesis §3.10): the leader stops accepting proposals, brings the
 * target's log up to its own, then sends TimeoutNow; the target campaigns at once (without
 * pre-vote, through the other nodes' leader lease). If the target makes no progress for
 * an election timeout (or has not taken over after ten), the transfer is abandoned and
 * proposals resume. A target that needs a snapshot first keeps the transfer alive as long
 * as the snapshot advances.
 */
import { allVoters, isVoter } from './config-change.ts';
import { RaftError } from './errors.ts';
import { ProgressState } from './progress.ts';
import type { Raft } from './raft.ts';
import { sendAppend } from './replication.ts';
import { MessageType, type NodeId, Role } from './types.ts';

export function transferLeadership(r: Raft, to: NodeId): RaftError | undefined {
  if (r.role !== Role.Leader) {
    return new RaftError('not-leader', 'only the leader can transfer leadership', {
      leader: r.leader,
    });
  }
  if (to === r.id) {
    if (isVoter(r.config, r.id)) abortTransfer(r);
    return undefined;
  }
  if (!isVoter(r.config, to)) return new RaftError('not-a-voter', `node ${to} is not a voter`);
  if (r.transferee === to) return undefined;
  abortTransfer(r);
  r.transferee = to;
  r.trace('raft.transfer-start', { to });
  const pr = r.progress.get(to);
  if (pr === undefined) return undefined;
  if (pr.match === r.log.lastIndex()) {
    sendTimeoutNow(r, to);
  } else if (pr.state !== ProgressState.Snapshot) {
    // Catch the target up now rather than wait for a retransmission.
    pr.becomeProbe();
    sendAppend(r, to, true);
  }
  return undefined;
}

/** Leader tick: give up a transfer whose target made no progress for an election timeout
 * (or that ran for `transferTicksMaxFactor` timeouts in all). */
export function tickTransfer(r: Raft): void {
  if (r.transferee === 0) return;
  r.transferIdleTicks++;
  r.transferTicks++;
  const timeout = r.options.electionTicks;
  if (r.transferIdleTicks < timeout && r.transferTicks < timeout * transferTicksMaxFactor) return;
  const target = r.transferee;
  r.trace('raft.transfer-timed-out', { to: target });
  abortTransfer(r);
  // A leader removed from the voters keeps trying to hand over, to another voter if any.
  if (!isVoter(r.config, r.id)) handOverLeadership(r, target);
}

/** The transfer target acknowledged something new: it is catching up. */
export function noteTransferProgress(r: Raft, from: NodeId): void {
  if (r.transferee === from) r.transferIdleTicks = 0;
}

/** After `from` acknowledged entries: if it is the transfer target and caught up, go. */
export function maybeSendTimeoutNow(r: Raft, from: NodeId): void {
  if (r.transferee !== from) return;
  const pr = r.progress.get(from);
  if (pr !== undefined && pr.match === r.log.lastIndex()) sendTimeoutNow(r, from);
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.trace('raft.timeout-now-sent', { to });
  r.send({ type: MessageType.TimeoutNow, group: r.group, from: r.id, to, term: r.term });
}

export function abortTransfer(r: Raft): void {
  r.transferee = 0;
  r.transferIdleTicks = 0;
  r.transferTicks = 0;
}

/** However much progress the target makes, a transfer ends after this many timeouts. */
export const transferTicksMaxFactor = 10;

/**
 * A leader that was removed from the voters passes leadership to the voter with the
 * highest match (the transfer catches it up first if needed). Called again on every
 * transfer timeout until a new leader's higher term makes this node a follower.
 */
export function handOverLeadership(r: Raft, avoid: NodeId = 0): void {
  let best = 0;
  let bestMatch = -1;
  for (const id of allVoters(r.config)) {
    const match = r.progress.get(id)?.match ?? -1;
    if (id !== r.id && id !== avoid && match > bestMatch) {
      best = id;
      bestMatch = match;
    }
  }
  if (best === 0) best = avoid; // the only voter left: try it again
  if (best === 0) return;
  abortTransfer(r);
  transferLeadership(r, best);
}
