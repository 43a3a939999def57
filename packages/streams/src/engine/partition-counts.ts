/**
 * How many partitions each topic of a topology has, and the co-partitioning check.
 *
 * External topics have what the cluster says. A repartition topic has what the application
 * fixed, or else as many as the topics it is joined with (its co-partition group), or else as
 * many as the largest input of the sub-topology that writes it. Then every co-partition group
 * (the two sides of each join) and every sub-topology (whose partition p forms one task) must
 * agree on one count, or a `CoPartitioningError` names the topics and their counts.
 */
import { CoPartitioningError, StreamsError } from '../errors.ts';
import { resolveTopic } from './task.ts';
import type { TopicRef, Topology } from './topology.ts';

export class MissingSourceTopicError extends StreamsError {
  constructor(readonly topics: readonly string[]) {
    super(
      'MISSING_SOURCE_TOPIC',
      `input topics do not exist: ${topics.join(', ')}; create them before starting`,
      {
        retriable: true,
      },
    );
    this.name = 'MissingSourceTopicError';
  }
}

/** Partition count per resolved topic name (external and internal). */
export type PartitionCounts = Map<string, number>;

export function resolvePartitionCounts(
  topology: Topology,
  applicationId: string,
  externalCount: (topic: string) => number | undefined,
): PartitionCounts {
  const counts: PartitionCounts = new Map();
  const name = (ref: TopicRef) => resolveTopic(applicationId, ref);
  const missing: string[] = [];
  for (const ref of topology.sourceTopics()) {
    if (ref.internal) {
      if (ref.partitions !== undefined) counts.set(name(ref), ref.partitions);
      continue;
    }
    const count = externalCount(ref.name);
    if (count === undefined) missing.push(ref.name);
    else counts.set(ref.name, count);
  }
  if (missing.length > 0) throw new MissingSourceTopicError(missing);
  fixFromCopartitionGroups(topology, counts, name);
  fixFromWriters(topology, counts, name);
  fixFromCopartitionGroups(topology, counts, name);
  checkCopartitioning(topology, counts, name);
  return counts;
}

/** Unfixed repartition topics in a group take the group's known count (its largest). */
function fixFromCopartitionGroups(
  topology: Topology,
  counts: PartitionCounts,
  name: (t: TopicRef) => string,
): void {
  for (const group of topology.copartitionGroups) {
    const known = group.map((t) => counts.get(name(t))).filter((c): c is number => c !== undefined);
    if (known.length === 0) continue;
    const target = Math.max(...known);
    for (const topic of group)
      if (topic.internal && !counts.has(name(topic))) counts.set(name(topic), target);
  }
}

/** Remaining repartition topics take the largest input of their writer, to a fixed point. */
function fixFromWriters(
  topology: Topology,
  counts: PartitionCounts,
  name: (t: TopicRef) => string,
): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const sub of topology.subtopologies) {
      const inputs = sub.sourceTopics.map((t) => counts.get(name(t)));
      if (inputs.some((c) => c === undefined)) continue;
      const largest = Math.max(...(inputs as number[]));
      for (const sink of sub.sinkTopics) {
        if (!sink.internal || counts.has(name(sink))) continue;
        if (!topology.repartitionTopics().some((t) => t.name === sink.name)) continue;
        counts.set(name(sink), largest);
        changed = true;
      }
    }
  }
  for (const ref of topology.repartitionTopics()) {
    if (!counts.has(name(ref)))
      throw new StreamsError(
        'TOPOLOGY_ERROR',
        `cannot size repartition topic ${ref.name}: its writers form a cycle`,
      );
  }
}

function checkCopartitioning(
  topology: Topology,
  counts: PartitionCounts,
  name: (t: TopicRef) => string,
): void {
  const check = (topics: readonly TopicRef[], context: string) => {
    const entries = topics.map((t) => ({
      topic: name(t),
      partitions: counts.get(name(t)) as number,
    }));
    if (new Set(entries.map((e) => e.partitions)).size > 1)
      throw new CoPartitioningError(entries, context);
  };
  for (const group of topology.copartitionGroups) check(group, 'join');
  for (const sub of topology.subtopologies)
    check(sub.sourceTopics, `sub-topology ${sub.id} (its partition p is one task)`);
}

/** Partitions of each sub-topology: one task per partition. */
export function taskCounts(
  topology: Topology,
  applicationId: string,
  counts: PartitionCounts,
): Map<number, number> {
  const result = new Map<number, number>();
  for (const sub of topology.subtopologies) {
    const first = sub.sourceTopics[0];
    if (first) result.set(sub.id, counts.get(resolveTopic(applicationId, first)) ?? 0);
  }
  return result;
}
