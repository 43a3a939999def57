/**
 * The cooperative-sticky assignor (Kafka's `cooperative-sticky`): balanced like round robin,
 * but members keep the partitions they already own wherever balance allows, and partitions
 * move in two generations so that no partition ever has two owners:
 *
 * 1. The target: every member keeps its owned partitions up to its quota (with the same
 *    topics subscribed by everyone, quotas are ⌊P/n⌋ or ⌈P/n⌉, and the larger quotas go to
 *    the members owning most, so the fewest partitions move); the rest are dealt to the
 *    members below quota. With differing subscriptions, owned partitions are kept, the
 *    others go to the least loaded eligible member, then partitions move from the most to
 *    the least loaded eligible member until no move narrows the spread.
 * 2. The adjustment: a partition the target gives to a member other than its current owner
 *    is left out of this generation's assignment altogether. Its owner, seeing it missing,
 *    revokes it and rejoins; in the next generation nobody owns it and it goes to its new
 *    member.
 *
 * Ownership comes from each member's subscription (`ownedPartitions`, `generationId`).
 * When two members claim one partition (a member that missed a generation), the claim from
 * the higher generation wins; on a tie, the first member in the stable order.
 */
import type { TopicPartitions } from '../protocol-metadata.ts';
import {
  type Assignor,
  type AssignorInput,
  type AssignorMember,
  compareTopicPartition,
  flatten,
  groupByTopic,
  sortedMembers,
  type TopicPartition,
} from './types.ts';

const keyOf = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

export interface Plan {
  readonly members: AssignorMember[];
  readonly partitions: TopicPartition[];
  /** Current (valid, de-conflicted) owner of each partition. */
  readonly owner: Map<string, string>;
  readonly assigned: Map<string, TopicPartition[]>;
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  protocol: 'cooperative',
  assign(input: AssignorInput): Map<string, TopicPartitions[]> {
    const plan = stickyTarget(input);
    return adjustForCooperation(plan);
  },
};

/** Step 1 only: where every partition should end up. Exposed for tests. */
export function stickyTarget(input: AssignorInput): Plan {
  const members = sortedMembers(input.members);
  const partitions = subscribedPartitions(members, input.partitionsPerTopic);
  const owner = currentOwners(members, partitions);
  const assigned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const plan = { members, partitions, owner, assigned };
  if (members.length === 0) return plan;
  if (homogeneous(members)) assignWithQuotas(plan);
  else assignGreedily(plan);
  return plan;
}

function subscribedPartitions(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): TopicPartition[] {
  const topics = new Set(members.flatMap((m) => m.subscription.topics));
  const all: TopicPartition[] = [];
  for (const topic of [...topics].sort()) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition += 1) all.push({ topic, partition });
  }
  return all;
}

function currentOwners(members: readonly AssignorMember[], partitions: readonly TopicPartition[]) {
  const exists = new Set(partitions.map(keyOf));
  const best = new Map<string, { memberId: string; generation: number }>();
  for (const member of members) {
    const { topics, generationId } = member.subscription;
    for (const tp of flatten(member.subscription.ownedPartitions)) {
      const key = keyOf(tp);
      if (!exists.has(key) || !topics.includes(tp.topic)) continue;
      const current = best.get(key);
      if (current === undefined || generationId > current.generation) {
        best.set(key, { memberId: member.memberId, generation: generationId });
      }
    }
  }
  return new Map([...best].map(([key, claim]) => [key, claim.memberId]));
}

function homogeneous(members: readonly AssignorMember[]): boolean {
  const first = [...(members[0]?.subscription.topics ?? [])].sort().join('\u0000');
  return members.every((m) => [...m.subscription.topics].sort().join('\u0000') === first);
}

function ownedBy(plan: Plan, memberId: string): TopicPartition[] {
  return plan.partitions.filter((tp) => plan.owner.get(keyOf(tp)) === memberId);
}

/** Same subscriptions: quotas ⌊P/n⌋/⌈P/n⌉, the larger ones to the members owning most. */
function assignWithQuotas(plan: Plan): void {
  const n = plan.members.length;
  const total = plan.partitions.length;
  const floor = Math.floor(total / n);
  const withExtra = total % n;
  const owned = new Map(plan.members.map((m) => [m.memberId, ownedBy(plan, m.memberId)]));
  const count = (m: AssignorMember) => owned.get(m.memberId)?.length ?? 0;
  const byOwned = [...plan.members].sort((a, b) => count(b) - count(a));
  const quota = new Map(byOwned.map((m, i) => [m.memberId, floor + (i < withExtra ? 1 : 0)]));
  const taken = new Set<string>();
  for (const member of plan.members) {
    const keep = (owned.get(member.memberId) ?? []).slice(0, quota.get(member.memberId));
    plan.assigned.get(member.memberId)?.push(...keep);
    for (const tp of keep) taken.add(keyOf(tp));
  }
  for (const tp of plan.partitions) {
    if (taken.has(keyOf(tp))) continue;
    const receiver = leastLoaded(
      plan,
      plan.members,
      (m) => plan.assigned.get(m.memberId)!.length < quota.get(m.memberId)!,
    );
    plan.assigned.get(receiver.memberId)?.push(tp);
  }
}

/** Different subscriptions: keep owned, deal the rest least-loaded-first, then even out. */
function assignGreedily(plan: Plan): void {
  const eligible = (tp: TopicPartition) =>
    plan.members.filter((m) => m.subscription.topics.includes(tp.topic));
  const free: TopicPartition[] = [];
  for (const tp of plan.partitions) {
    const owner = plan.owner.get(keyOf(tp));
    if (owner !== undefined) plan.assigned.get(owner)?.push(tp);
    else free.push(tp);
  }
  free.sort((a, b) => eligible(a).length - eligible(b).length || compareTopicPartition(a, b));
  for (const tp of free) {
    const candidates = eligible(tp);
    if (candidates.length > 0) plan.assigned.get(leastLoaded(plan, candidates).memberId)?.push(tp);
  }
  evenOut(plan, eligible);
}

/** Moves partitions from heavier to lighter eligible members while that narrows the spread. */
function evenOut(plan: Plan, eligible: (tp: TopicPartition) => AssignorMember[]): void {
  const load = (m: AssignorMember) => plan.assigned.get(m.memberId)!.length;
  for (let moves = 0; moves < plan.partitions.length * plan.members.length; moves += 1) {
    let best: { from: AssignorMember; to: AssignorMember; tp: TopicPartition } | undefined;
    for (const from of [...plan.members].sort((a, b) => load(b) - load(a))) {
      // Prefer moving partitions the member did not own before: stickiness.
      const list = [...plan.assigned.get(from.memberId)!].sort(
        (a, b) =>
          Number(plan.owner.get(keyOf(a)) === from.memberId) -
            Number(plan.owner.get(keyOf(b)) === from.memberId) || compareTopicPartition(a, b),
      );
      for (const tp of list) {
        const to = leastLoaded(plan, eligible(tp));
        if (load(to) < load(from) - 1 && (best === undefined || load(to) < load(best.to))) {
          best = { from, to, tp };
        }
      }
      if (best !== undefined) break;
    }
    if (best === undefined) return;
    const fromList = plan.assigned.get(best.from.memberId)!;
    fromList.splice(fromList.indexOf(best.tp), 1);
    plan.assigned.get(best.to.memberId)?.push(best.tp);
  }
}

function leastLoaded(
  plan: Plan,
  candidates: readonly AssignorMember[],
  allowed: (m: AssignorMember) => boolean = () => true,
): AssignorMember {
  let best: AssignorMember | undefined;
  for (const member of candidates) {
    if (!allowed(member)) continue;
    const load = plan.assigned.get(member.memberId)!.length;
    if (best === undefined || load < plan.assigned.get(best.memberId)!.length) best = member;
  }
  return best ?? candidates[0]!;
}

/** Step 2: partitions changing owner are left out of this generation. */
function adjustForCooperation(plan: Plan): Map<string, TopicPartitions[]> {
  const result = new Map<string, TopicPartitions[]>();
  for (const [memberId, list] of plan.assigned) {
    const now = list.filter((tp) => {
      const owner = plan.owner.get(keyOf(tp));
      return owner === undefined || owner === memberId;
    });
    result.set(memberId, groupByTopic(now));
  }
  return result;
}

/** The full target per member (step 1), grouped by topic. Exposed for tests and tools. */
export function targetAssignment(input: AssignorInput): Map<string, TopicPartitions[]> {
  const plan = stickyTarget(input);
  return new Map([...plan.assigned].map(([id, list]) => [id, groupByTopic(list)]));
}
