/**
 * A follower's side of replication (Raft §5.3): accept an append only where our log holds
 * the leader's previous entry, drop a conflicting uncommitted suffix, and on a mismatch
 * answer with a hint so the leader can skip a whole term per round trip. Acknowledgements
 * leave only after the entries are durable (messagesAfterPersist).
 */
import type { Raft } from './raft.ts';
import { type AppendRequest, type HeartbeatRequest, MessageType } from './types.ts';

export function handleAppend(r: Raft, m: AppendRequest): void {
  const log = r.log;
  if (m.prevLogIndex < log.committed) {
    // Everything up to our commit index is settled; tell the leader where that is.
    acknowledge(r, m.from, log.committed);
    return;
  }
  const outcome = log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.entries);
  switch (outcome.kind) {
    case 'appended': {
      const lastNewIndex = outcome.lastNewIndex;
      // What waits in unstable is not durable yet; a truncation may have moved it down.
      const unstable = log.unstable;
      if (unstable.entries.length > 0) {
        r.persistedIndex = Math.min(r.persistedIndex, unstable.offset - 1);
      }
      log.commitTo(Math.min(m.commit, lastNewIndex));
      acknowledge(r, m.from, lastNewIndex);
      return;
    }
    case 'mismatch': {
      const hint = log.findConflictByTerm(Math.min(m.prevLogIndex, log.lastIndex()), m.prevLogTerm);
      r.trace('raft.append-mismatch', {
        from: m.from,
        prevLogIndex: m.prevLogIndex,
        prevLogTerm: m.prevLogTerm,
        hintIndex: hint.index,
        hintTerm: hint.term,
      });
      r.send({
        type: MessageType.AppendResponse,
        group: r.group,
        from: r.id,
        to: m.from,
        term: r.term,
        success: false,
        index: m.prevLogIndex,
        hintIndex: hint.index,
        hintTerm: hint.term,
      });
      return;
    }
    case 'conflicts-with-committed':
      r.reject(
        'conflicts-with-committed',
        m,
        `entry ${outcome.index} conflicts with our committed log (commit ${log.committed})`,
      );
      return;
  }
}

function acknowledge(r: Raft, to: number, index: number): void {
  r.sendAfterPersist({
    type: MessageType.AppendResponse,
    group: r.group,
    from: r.id,
    to,
    term: r.term,
    success: true,
    index,
    hintIndex: 0,
    hintTerm: 0,
  });
}

export function handleHeartbeat(r: Raft, m: HeartbeatRequest): void {
  // The leader sends min(our match, its commit). If our log is shorter than that, this
  // disk lost entries it had acknowledged; commit what we hold and wait to be refilled.
  const lastIndex = r.log.lastIndex();
  if (m.commit > lastIndex) reportLostEntries(r, m.from, m.commit);
  r.log.commitTo(Math.min(m.commit, lastIndex));
  r.send({
    type: MessageType.HeartbeatResponse,
    group: r.group,
    from: r.id,
    to: m.from,
    term: r.term,
    context: m.context,
  });
}

/**
 * The leader believes we hold `believed` durably and we do not: our disk lost entries we
 * had acknowledged. Say where our log ends, with a rejection of index 0 (which no real
 * append can produce, as every log matches at 0), so the leader lowers its match for us
 * and probes from there instead of waiting for entries we will never acknowledge.
 */
function reportLostEntries(r: Raft, leader: number, believed: number): void {
  const lastIndex = r.log.lastIndex();
  r.logger.warn('raft.lost-acknowledged-entries', { ...r.fields(), believed, lastIndex });
  r.send({
    type: MessageType.AppendResponse,
    group: r.group,
    from: r.id,
    to: leader,
    term: r.term,
    success: false,
    index: 0,
    hintIndex: lastIndex,
    hintTerm: r.log.lastTerm(),
  });
}
