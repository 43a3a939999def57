/**
 * The leader's side of replication (Raft §5.3, §5.4.2, thesis §10.2): appends to each
 * follower according to its progress state, pipelined within the inflight window; fast
 * back-off on rejection using the follower's hint; commit by counting durable matches,
 * and only for an entry of the current term (the Figure 8 rule: an older entry commits
 * only together with one of ours). Heartbeats carry min(follower's match, commit), so a
 * follower never commits past what it holds.
 */

import { ProgressState } from './progress.ts';
import { committedIndex } from './quorum.ts';
import type { Raft } from './raft.ts';
import { onReadAck, releaseReadsWaitingForCommit } from './read-index.ts';
import { startSnapshot } from './snapshot-transfer.ts';
import { maybeSendTimeoutNow, noteTransferProgress } from './transfer.ts';
import {
  type AppendResponse,
  type Entry,
  type HeartbeatResponse,
  MessageType,
  type NodeId,
  Role,
} from './types.ts';

/** Sends one append to `to` if its progress allows; returns whether anything was sent. */
export function sendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const log = r.log;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = log.term(prevLogIndex);
  if (prevLogTerm === undefined || pr.next < log.firstIndex()) {
    // The entries this follower needs were compacted away.
    return startSnapshot(r, to, pr);
  }
  const lastIndex = log.lastIndex();
  const entries: Entry[] =
    pr.next <= lastIndex ? log.entries(pr.next, lastIndex + 1, r.options.appendBytesMax) : [];
  if (entries.length === 0 && !sendIfEmpty) return false;
  sendAppendMessage(r, to, prevLogIndex, prevLogTerm, entries);
  if (pr.state === ProgressState.Replicate) {
    if (entries.length > 0) {
      const last = (entries[entries.length - 1] as Entry).index;
      pr.next = last + 1;
      pr.inflights.add(last, entryBytes(entries));
    }
  } else {
    pr.probeSent = true;
  }
  return true;
}

function sendAppendMessage(
  r: Raft,
  to: NodeId,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: Entry[],
): void {
  const pr = r.progress.get(to);
  if (pr !== undefined) pr.commitSent = r.log.committed;
  r.send({
    type: MessageType.Append,
    group: r.group,
    from: r.id,
    to,
    term: r.term,
    prevLogIndex,
    prevLogTerm,
    entries,
    commit: r.log.committed,
  });
}

/**
 * An append without entries whose previous entry is the last one we sent `to`: "do you
 * hold everything I sent you?". A follower that does answers with an acknowledgement once
 * it is durable (a slow disk only delays it); one that lost an append refuses it with a
 * hint, and the refusal sends it back to probe from where its log ends. This is how a
 * silent follower is asked, instead of being sent everything again: a follower that is
 * alive but slow to persist is never flooded with entries it already holds.
 */
function sendTailProbe(r: Raft, to: NodeId): void {
  const pr = r.progress.get(to);
  if (pr === undefined) return;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = r.log.term(prevLogIndex);
  if (prevLogTerm === undefined) {
    // Compacted since: whatever the follower holds, only a snapshot can bring it past
    // our first index now, and a probe from its match leads there.
    r.counters.replicationRestarts++;
    pr.becomeProbe();
    sendAppend(r, to, true);
    return;
  }
  r.counters.tailProbesSent++;
  sendAppendMessage(r, to, prevLogIndex, prevLogTerm, []);
  if (pr.state === ProgressState.Probe) pr.probeSent = true;
}

function entryBytes(entries: readonly Entry[]): number {
  let bytes = 0;
  for (const entry of entries) bytes += entry.data.byteLength;
  return bytes;
}

/** Sends everything the window allows to `to` (in probe state, a probe even if empty). */
export function sendAppends(r: Raft, to: NodeId): void {
  const probing = r.progress.get(to)?.state === ProgressState.Probe;
  while (sendAppend(r, to, probing)) {
    const pr = r.progress.get(to);
    if (pr === undefined || pr.state !== ProgressState.Replicate) return;
  }
}

/** New entries or a new commit index for every follower, in as few messages as allowed. */
export function broadcastAppend(r: Raft, commitChanged: boolean): void {
  for (const id of r.progress.keys()) {
    if (id === r.id) continue;
    sendAppends(r, id);
    const pr = r.progress.get(id);
    if (commitChanged && pr !== undefined && pr.commitSent < r.log.committed)
      sendAppend(r, id, true);
  }
}

export function broadcastHeartbeat(r: Raft): void {
  const context = r.reads.round;
  for (const [id, pr] of r.progress) {
    if (id === r.id) continue;
    const commit = Math.min(pr.match, r.log.committed);
    pr.commitSent = Math.max(pr.commitSent, commit);
    r.send({
      type: MessageType.Heartbeat,
      group: r.group,
      from: r.id,
      to: id,
      term: r.term,
      commit,
      context,
    });
  }
}

export function handleAppendResponse(r: Raft, m: AppendResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.idleTicks = 0;
  // An acknowledgement or a refusal names an index we sent in this term; a leader's log
  // never shrinks, so one beyond our last index is forged or corrupt. (A refusal beyond it
  // once moved `next` past our log, where the append to send looked compacted.)
  if (m.index > r.log.lastIndex()) {
    r.reject(
      'impossible-index',
      m,
      `${m.success ? 'acknowledges' : 'refuses'} ${m.index} beyond our last index ${r.log.lastIndex()}`,
    );
    return;
  }
  if (!m.success) {
    handleRejection(r, m);
    return;
  }
  // A probe acknowledged at the match we already knew also proves where the logs meet.
  const probeConfirmed = pr.state === ProgressState.Probe && m.index === pr.match;
  if (pr.maybeUpdate(m.index) || probeConfirmed) {
    switch (pr.state) {
      case ProgressState.Probe:
        pr.becomeReplicate();
        break;
      case ProgressState.Snapshot:
        if (pr.match + 1 >= r.log.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case ProgressState.Replicate:
        pr.inflights.freeLE(m.index);
        break;
    }
    maybeCommit(r);
    noteTransferProgress(r, m.from);
    maybeSendTimeoutNow(r, m.from);
  } else if (pr.state === ProgressState.Replicate) {
    pr.inflights.freeLE(m.index);
  }
  sendAppends(r, m.from);
  // A follower that was paused when the commit index moved has not heard of it yet: the
  // next broadcast (once per Ready, for every such follower) tells it.
  if (pr.commitSent < r.log.committed) r.commitBroadcastPending = true;
}

function handleRejection(r: Raft, m: AppendResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  // The follower's hint: its log may match ours at or below (hintIndex, hintTerm). Find
  // where ours does, so a whole divergent term is skipped in one round trip.
  let matchHint = m.hintIndex;
  if (m.hintTerm > 0) matchHint = r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
  const probedAcknowledged =
    pr.state === ProgressState.Probe && m.index === pr.next - 1 && m.index <= pr.match;
  if (m.index === 0 || probedAcknowledged) {
    // The follower does not hold an entry it acknowledged: its disk lost it (index 0 is
    // its explicit report, see follower.ts). Believe it, and refill it from its hint.
    if (matchHint >= pr.match) return;
    r.logger.warn('raft.follower-lost-entries', {
      ...r.fields(),
      from: m.from,
      match: pr.match,
      matchHint,
    });
    pr.match = matchHint;
    pr.becomeProbe();
    sendAppend(r, m.from, false);
    return;
  }
  const wasReplicating = pr.state === ProgressState.Replicate;
  if (!pr.maybeDecrTo(m.index, matchHint)) return;
  r.trace('raft.append-rejected', { from: m.from, rejected: m.index, next: pr.next });
  if (wasReplicating) {
    // Something sent was lost (or refused): probe from where the follower's log may
    // meet ours, which can be past its durable match (entries it holds but has not
    // acknowledged yet need not be sent again).
    r.counters.replicationRestarts++;
    pr.becomeProbe();
    pr.next = Math.max(pr.match + 1, Math.min(m.index, matchHint + 1));
  }
  sendAppend(r, m.from, false);
}

export function handleHeartbeatResponse(r: Raft, m: HeartbeatResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (pr.state === ProgressState.Probe && pr.probeSent) {
    // A probe is out and unanswered: it was lost, or the follower is still persisting
    // it. Ask again without entries, so a slow follower is not sent them again.
    sendTailProbe(r, m.from);
  } else if (pr.match < r.log.lastIndex()) {
    // New entries the window allows (a full window waits: the stall check below and the
    // replies free it, never a resend).
    sendAppend(r, m.from, pr.state === ProgressState.Probe);
  }
  onReadAck(r, m.from, m.context);
}

/** Leader: commit the highest index a quorum holds durably, if it is of our term. */
export function maybeCommit(r: Raft): boolean {
  const index = committedIndex(r.config, (id) => r.progress.get(id)?.match ?? 0);
  if (index <= r.log.committed) return false;
  if (r.log.term(index) !== r.term) return false;
  r.log.commitTo(index);
  r.commitBroadcastPending = true;
  r.uncommitted.releaseTo(index);
  releaseReadsWaitingForCommit(r);
  return true;
}

/**
 * Leader tick: a follower that has answered no append for an election timeout while we
 * wait on it is asked whether it holds what we sent (a tail probe, without entries; see
 * sendTailProbe): its refusal, if it lost something, sends it back to probe, and only then
 * are entries sent again. A slow disk delays the answer but causes no resend. A snapshot
 * stream that stalled starts over from a probe.
 */
export function probeStalled(r: Raft): void {
  if (r.role !== Role.Leader) return;
  for (const [id, pr] of r.progress) {
    if (id === r.id) continue;
    const waiting =
      pr.state === ProgressState.Snapshot ||
      pr.probeSent ||
      (pr.state === ProgressState.Replicate && pr.inflights.count > 0);
    if (!waiting) {
      pr.idleTicks = 0;
      continue;
    }
    pr.idleTicks++;
    if (pr.idleTicks < r.options.electionTicks) continue;
    pr.idleTicks = 0;
    r.trace('raft.probe-stalled', { to: id, state: pr.state, match: pr.match, next: pr.next });
    if (pr.state === ProgressState.Snapshot) {
      r.counters.replicationRestarts++;
      pr.becomeProbe();
      sendAppend(r, id, true);
    } else {
      sendTailProbe(r, id);
    }
  }
}

/** Leader: append entries of our term to our own log (they are durable after advance). */
export function appendLeaderEntries(r: Raft, entries: readonly Entry[]): void {
  r.log.append(entries);
  r.appendBroadcastPending = true;
}
