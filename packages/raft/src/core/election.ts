/**
 * Elections (Raft §5.2, §9.6 pre-vote, §3.10 leadership transfer):
 *
 * - A follower whose randomized timeout expires campaigns. With pre-vote it first asks
 *   "would you vote for me at term + 1?" without changing any state; only if a quorum says
 *   yes does it raise its term and ask for real votes. A node that was partitioned away
 *   therefore cannot force the group to a higher term when it comes back.
 * - A vote is granted at most once per term, to a candidate whose log is at least as up
 *   to date as ours (last term, then last index), and never while this node's disk is
 *   known to have lost acknowledged entries (votingDisabledUntilIndex).
 * - A campaign started by TimeoutNow (a transfer) skips pre-vote and carries `transfer`,
 *   which lets it through the leader lease of nodes that still hear the old leader.
 */
import { configVoteOutcome } from './quorum.ts';
import type { CampaignKind, Raft } from './raft.ts';
import { type Message, MessageType, Role, type VoteRequest, type VoteResponse } from './types.ts';

export function campaign(r: Raft, kind: CampaignKind): void {
  if (!r.promotable()) {
    r.trace('raft.campaign-refused', { kind });
    return;
  }
  r.counters.campaigns++;
  const preVote = kind === 'pre-vote';
  if (preVote) r.becomePreCandidate();
  else r.becomeCandidate();
  const voteTerm = preVote ? r.term + 1 : r.term;
  r.votes.set(r.id, true);
  if (tally(r) === 'won') {
    // A single-voter group: no one else to ask.
    if (preVote) campaign(r, 'election');
    else r.becomeLeader();
    return;
  }
  const lastLogIndex = r.log.lastIndex();
  const lastLogTerm = r.log.lastTerm();
  for (const to of r.peersToAsk()) {
    const request: VoteRequest = {
      type: preVote ? MessageType.PreVote : MessageType.Vote,
      group: r.group,
      from: r.id,
      to,
      term: voteTerm,
      lastLogIndex,
      lastLogTerm,
      transfer: kind === 'transfer',
    };
    // A real vote request may only leave once our own vote for ourselves is durable.
    if (preVote) r.send(request);
    else r.sendAfterPersist(request);
  }
  r.trace('raft.campaign', { kind, voteTerm, lastLogIndex, lastLogTerm });
}

export function handleVoteRequest(r: Raft, m: VoteRequest): void {
  const preVote = m.type === MessageType.PreVote;
  const canVote =
    r.vote === m.from || (r.vote === 0 && r.leader === 0) || (preVote && m.term > r.term);
  const granted = canVote && !r.votingDisabled() && r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
  const response: VoteResponse = {
    type: preVote ? MessageType.PreVoteResponse : MessageType.VoteResponse,
    group: r.group,
    from: r.id,
    to: m.from,
    // A granted pre-vote answers in the candidate's future term, so the pre-candidate
    // counts it; a refusal carries ours, so a candidate behind us learns it.
    term: granted ? m.term : r.term,
    granted,
    ...commitPoint(r),
  };
  if (granted && !preVote) {
    r.electionElapsed = 0;
    r.vote = m.from;
  }
  r.trace('raft.vote', { candidate: m.from, preVote, granted, candidateTerm: m.term });
  if (preVote) r.send(response);
  else r.sendAfterPersist(response as Message);
}

export function handleVoteResponse(r: Raft, m: VoteResponse): void {
  const expected =
    r.role === Role.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
  if (m.type !== expected) return;
  if (r.role === Role.PreCandidate && m.granted && m.term !== r.term + 1) return;
  if (r.votes.has(m.from)) return;
  r.votes.set(m.from, m.granted);
  const outcome = tally(r);
  if (outcome === 'won') {
    if (r.role === Role.PreCandidate) campaign(r, 'election');
    else r.becomeLeader();
  } else if (outcome === 'lost') {
    r.trace('raft.campaign-lost');
    r.becomeFollower(r.term, 0);
  }
}

function tally(r: Raft): 'won' | 'lost' | 'pending' {
  return configVoteOutcome(r.config, (id) => r.votes.get(id));
}

/** Our commit index and its term, as a vote answer carries them. */
export function commitPoint(r: Raft): { commit: number; commitTerm: number } {
  const commit = r.log.committed;
  return { commit, commitTerm: commit === 0 ? 0 : (r.log.term(commit) ?? 0) };
}

/**
 * A peer's commit point from its vote answer: if we hold that very entry, Log Matching
 * makes our log identical to the peer's up to it, and the peer only reports committed
 * entries, so our log is committed that far. (A candidate that has not learned that a
 * membership change committed would otherwise keep counting the old voter set.)
 */
export function learnCommitFromPeer(r: Raft, m: VoteResponse): void {
  if (m.commit <= r.log.committed || m.commit > r.log.lastIndex()) return;
  if (!r.log.matchTerm(m.commit, m.commitTerm)) return;
  r.trace('raft.commit-learned', { from: m.from, commit: m.commit });
  r.log.commitTo(m.commit);
}
