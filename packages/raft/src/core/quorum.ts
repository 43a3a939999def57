/**
 * Quorum arithmetic over a configuration: the highest index a majority has reached, and
 * the outcome of a vote. In a joint configuration both voter sets must agree, so the
 * joint result is the weaker of the two. An empty outgoing set (a simple configuration)
 * never constrains anything.
 */
import type { ConfigState, NodeId } from './types.ts';

export type VoteOutcome = 'won' | 'lost' | 'pending';

const scratch: number[] = [];

/** The largest index that at least a majority of `voters` have reached. */
export function majorityIndex(voters: readonly NodeId[], indexOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  scratch.length = n;
  for (let i = 0; i < n; i++) scratch[i] = indexOf(voters[i] as NodeId);
  // Insertion sort, descending: voter sets are small (3 to 7) and this runs on every ack.
  for (let i = 1; i < n; i++) {
    const value = scratch[i] as number;
    let j = i - 1;
    while (j >= 0 && (scratch[j] as number) < value) {
      scratch[j + 1] = scratch[j] as number;
      j--;
    }
    scratch[j + 1] = value;
  }
  return scratch[Math.floor(n / 2)] as number;
}

export function committedIndex(config: ConfigState, indexOf: (id: NodeId) => number): number {
  const incoming = majorityIndex(config.voters, indexOf);
  if (config.outgoingVoters.length === 0) return incoming;
  return Math.min(incoming, majorityIndex(config.outgoingVoters, indexOf));
}

export function voteOutcome(
  voters: readonly NodeId[],
  voteOf: (id: NodeId) => boolean | undefined,
): VoteOutcome {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = voteOf(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const majority = Math.floor(voters.length / 2) + 1;
  if (granted >= majority) return 'won';
  if (granted + missing >= majority) return 'pending';
  return 'lost';
}

export function configVoteOutcome(
  config: ConfigState,
  voteOf: (id: NodeId) => boolean | undefined,
): VoteOutcome {
  const incoming = voteOutcome(config.voters, voteOf);
  const outgoing = voteOutcome(config.outgoingVoters, voteOf);
  if (incoming === 'lost' || outgoing === 'lost') return 'lost';
  if (incoming === 'pending' || outgoing === 'pending') return 'pending';
  return 'won';
}
