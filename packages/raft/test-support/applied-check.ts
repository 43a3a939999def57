/**
 * The checker of a process-cluster test: what every replica applied, per group, against
 * what the client was told.
 *
 * - each replica's sequence has strictly increasing indexes and no id twice (no duplicate);
 * - each replica's sequence is a prefix of one common sequence (same index, term and id at
 *   every position): the replicas applied the same entries in the same order;
 * - every applied id was proposed (no phantom);
 * - every acknowledged id is in every replica's sequence (nothing acknowledged was lost),
 *   for the replicas listed in `complete` (those that must have caught up).
 */
import type { AppliedRecord, AppliedSequences } from './applied-log.ts';

export interface AppliedCheckInput {
  readonly groups: readonly number[];
  readonly sequences: ReadonlyMap<number, AppliedSequences>;
  readonly acked: ReadonlyMap<number, ReadonlySet<number>>;
  readonly proposed: ReadonlySet<number>;
  /** Nodes that must hold every acknowledged id (default: all). */
  readonly complete?: readonly number[];
}

const problemsPerGroupMax = 5;

function describe(r: AppliedRecord | undefined): string {
  return r === undefined ? 'nothing' : `index ${r.index} term ${r.term} id ${r.id}`;
}

function checkOwnOrder(node: number, group: number, sequence: readonly AppliedRecord[]): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  let previous = 0;
  for (const record of sequence) {
    if (record.index <= previous)
      problems.push(`node ${node} group ${group}: index ${record.index} after ${previous}`);
    if (seen.has(record.id))
      problems.push(`node ${node} group ${group}: id ${record.id} applied twice`);
    seen.add(record.id);
    previous = record.index;
  }
  return problems;
}

function checkGroup(input: AppliedCheckInput, group: number): string[] {
  const problems: string[] = [];
  const byNode = [...input.sequences].map(([node, all]) => [node, all.get(group) ?? []] as const);
  let common: readonly AppliedRecord[] = [];
  for (const [, sequence] of byNode) if (sequence.length > common.length) common = sequence;
  for (const [node, sequence] of byNode) {
    problems.push(...checkOwnOrder(node, group, sequence));
    const at = sequence.findIndex((r, i) => {
      const c = common[i];
      return c === undefined || r.index !== c.index || r.term !== c.term || r.id !== c.id;
    });
    if (at >= 0)
      problems.push(
        `node ${node} group ${group}: position ${at} holds ${describe(sequence[at])}, the longest sequence ${describe(common[at])}`,
      );
  }
  for (const record of common)
    if (!input.proposed.has(record.id))
      problems.push(`group ${group}: id ${record.id} never proposed`);
  const complete = input.complete ?? [...input.sequences.keys()];
  for (const node of complete) {
    const ids = new Set((input.sequences.get(node)?.get(group) ?? []).map((r) => r.id));
    const missing = [...(input.acked.get(group) ?? [])].filter((id) => !ids.has(id));
    if (missing.length > 0)
      problems.push(
        `node ${node} group ${group}: ${missing.length} acknowledged ids missing (${missing.slice(0, 10).join(', ')})`,
      );
  }
  return problems.slice(0, problemsPerGroupMax);
}

/** Returns every problem found (empty when the run is correct). */
export function checkApplied(input: AppliedCheckInput): string[] {
  return input.groups.flatMap((group) => checkGroup(input, group));
}
