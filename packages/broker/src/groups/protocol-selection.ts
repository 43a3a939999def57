/**
 * Choosing the group's protocol (the assignor) for a generation, as Kafka does: among the
 * protocols every member supports, each member votes for the first in its own preference
 * order; the most votes win. Ties go to the candidate listed first by the first member, so
 * the choice is deterministic.
 */
import { assert } from '../errors.ts';

export function selectProtocol(
  memberProtocols: readonly (readonly { readonly name: string }[])[],
): string {
  assert(memberProtocols.length > 0, 'selecting a protocol for no members');
  const first = memberProtocols[0] ?? [];
  const candidates = first
    .map((p) => p.name)
    .filter((name) => memberProtocols.every((list) => list.some((p) => p.name === name)));
  assert(candidates.length > 0, 'members share no protocol (checked on join)');
  const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
  for (const list of memberProtocols) {
    const choice = list.find((p) => votes.has(p.name));
    if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let best = candidates[0] as string;
  for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
  return best;
}
