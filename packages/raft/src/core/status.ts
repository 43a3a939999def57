/**
 * What a host can observe of a replica: role, term, leader, indexes, membership, the
 * leader's view of each follower (whose `match` is the follower's durable index, which
 * acks=all needs), and the counters of refused input and notable events.
 */
import type { ProgressState } from './progress.ts';
import type { Raft, RaftCounters } from './raft.ts';
import type { ConfigState, NodeId, Role } from './types.ts';

export interface FollowerStatus {
  readonly id: NodeId;
  /** Highest index this follower has acknowledged as durable. */
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly inflightCount: number;
  readonly inflightBytes: number;
  readonly pendingSnapshot: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly group: number;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Highest index durable on this node's own disk. */
  readonly persistedIndex: number;
  readonly config: ConfigState;
  readonly transferee: NodeId;
  readonly pendingConfigIndex: number;
  readonly votingDisabledUntilIndex: number;
  /** Leader only: every member, this node included (its match is its own durable index). */
  readonly progress: readonly FollowerStatus[];
  /** Leader only: the highest index durable on every voter (acks=all); 0 otherwise. */
  readonly durableOnAllVotersIndex: number;
  readonly counters: Readonly<RaftCounters>;
}

export function raftStatus(r: Raft): RaftStatus {
  const progress: FollowerStatus[] = [];
  for (const [id, pr] of r.progress) {
    progress.push({
      id,
      match: pr.match,
      next: pr.next,
      state: pr.state,
      isLearner: pr.isLearner,
      recentActive: id === r.id || pr.recentActive,
      inflightCount: pr.inflights.count,
      inflightBytes: pr.inflights.bytes,
      pendingSnapshot: pr.pendingSnapshot,
    });
  }
  progress.sort((a, b) => a.id - b.id);
  let durableOnAll = 0;
  if (progress.length > 0) {
    durableOnAll = Number.MAX_SAFE_INTEGER;
    for (const follower of progress)
      if (!follower.isLearner) durableOnAll = Math.min(durableOnAll, follower.match);
  }
  return {
    id: r.id,
    group: r.group,
    role: r.role,
    term: r.term,
    vote: r.vote,
    leader: r.leader,
    commit: r.log.committed,
    applied: r.log.applied,
    firstIndex: r.log.firstIndex(),
    lastIndex: r.log.lastIndex(),
    persistedIndex: r.persistedIndex,
    config: r.config,
    transferee: r.transferee,
    pendingConfigIndex: r.pendingConfigIndex,
    votingDisabledUntilIndex: r.votingDisabledUntilIndex,
    progress,
    durableOnAllVotersIndex: durableOnAll,
    counters: { ...r.counters, rejected: { ...r.counters.rejected } },
  };
}
