/**
 * Linearizable reads without writing to the log (Raft thesis §6.4). The leader records its
 * commit index as the read point, then confirms it is still leader by a round of
 * heartbeats: once a quorum has answered a heartbeat sent after the read was recorded, no
 * other leader can have committed anything newer, and the host may serve the read once it
 * has applied the read point. A new leader first commits an entry of its own term (its
 * no-op), so that its commit index covers everything committed before it; reads that
 * arrive earlier wait for that.
 *
 * Rounds: every read gets the next round number; heartbeats carry the latest round; a
 * follower's answer with round n confirms every read of round <= n.
 */
import { RaftError } from './errors.ts';
import { readRequestsPendingMax } from './limits.ts';
import { committedIndex, configVoteOutcome } from './quorum.ts';
import type { Raft } from './raft.ts';
import { MessageType, type NodeId } from './types.ts';

interface PendingRead {
  readonly round: number;
  readonly index: number;
  readonly requestId: number;
  readonly from: NodeId;
}

interface WaitingRead {
  readonly requestId: number;
  readonly from: NodeId;
}

export class ReadIndexTracker {
  /** The latest round issued; never reset, so answers from an earlier leadership are old. */
  round = 0;
  pending: PendingRead[] = [];
  waitingForCommit: WaitingRead[] = [];

  size(): number {
    return this.pending.length + this.waitingForCommit.length;
  }

  /** Drops every read in progress (leadership changed); returns how many. */
  reset(): number {
    const dropped = this.size();
    this.pending = [];
    this.waitingForCommit = [];
    return dropped;
  }
}

function committedInCurrentTerm(r: Raft): boolean {
  return r.log.term(r.log.committed) === r.term;
}

/** Leader: a read for `from` (this node or a follower that forwarded it). */
export function handleReadIndexRequest(
  r: Raft,
  requestId: number,
  from: NodeId,
): RaftError | undefined {
  const reads = r.reads;
  if (reads.size() >= readRequestsPendingMax) {
    r.counters.readsDropped++;
    return new RaftError('too-many-reads', `${readRequestsPendingMax} reads are already pending`);
  }
  if (!committedInCurrentTerm(r)) {
    reads.waitingForCommit.push({ requestId, from });
    return undefined;
  }
  startRead(r, requestId, from);
  return undefined;
}

function startRead(r: Raft, requestId: number, from: NodeId): void {
  const index = r.log.committed;
  const alone = configVoteOutcome(r.config, (id) => (id === r.id ? true : undefined)) === 'won';
  if (alone) {
    resolveRead(r, requestId, from, index);
    return;
  }
  r.reads.round++;
  r.reads.pending.push({ round: r.reads.round, index, requestId, from });
  r.heartbeatBroadcastPending = true;
}

function resolveRead(r: Raft, requestId: number, from: NodeId, index: number): void {
  if (from === r.id) {
    r.readStates.push({ requestId, index });
    return;
  }
  r.send({
    type: MessageType.ReadIndexResponse,
    group: r.group,
    from: r.id,
    to: from,
    term: r.term,
    requestId,
    index,
  });
}

/** Leader: a heartbeat answer confirming round `context` from `from`. */
export function onReadAck(r: Raft, from: NodeId, context: number): void {
  const pr = r.progress.get(from);
  const reads = r.reads;
  if (pr === undefined || context <= pr.readRoundAcked) return;
  pr.readRoundAcked = Math.min(context, reads.round);
  if (reads.pending.length === 0) return;
  const confirmed = committedIndex(r.config, (id) =>
    id === r.id ? reads.round : (r.progress.get(id)?.readRoundAcked ?? 0),
  );
  let released = 0;
  for (const read of reads.pending) {
    if (read.round > confirmed) break;
    resolveRead(r, read.requestId, read.from, read.index);
    released++;
  }
  if (released > 0) reads.pending = reads.pending.slice(released);
}

/** Leader: once an entry of our term commits, start the reads that waited for it. */
export function releaseReadsWaitingForCommit(r: Raft): void {
  const waiting = r.reads.waitingForCommit;
  if (waiting.length === 0 || !committedInCurrentTerm(r)) return;
  r.reads.waitingForCommit = [];
  for (const read of waiting) startRead(r, read.requestId, read.from);
}

/** Follower: forward a read to the leader, whose answer arrives as a ReadIndexResponse. */
export function forwardRead(r: Raft, requestId: number): RaftError | undefined {
  if (r.leader === 0) return new RaftError('no-leader', 'no leader is known to serve the read');
  r.send({
    type: MessageType.ReadIndex,
    group: r.group,
    from: r.id,
    to: r.leader,
    term: r.term,
    requestId,
  });
  return undefined;
}
