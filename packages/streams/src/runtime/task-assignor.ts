/**
 * The group assignor of a streams application: it hands out whole tasks, never single
 * partitions, so partition p of every topic a sub-topology reads goes to one member (which
 * is what makes joins and repartition reads work). Tasks stay with the member that owned
 * them when it still can take them (its store state is there); the rest are spread so
 * every member gets ⌊T/M⌋ or ⌈T/M⌉ tasks. Eager: members give up everything before a
 * rebalance and report what they gave up as owned in their JoinGroup; what they get back
 * is resumed without a restore. Two members claiming one task (one missed a generation):
 * the claim of the later generation wins.
 */

import { resolveTopic } from '../engine/task.ts';
import type { Topology } from '../engine/topology.ts';
import type { AssignorPort, PortTopicPartitions } from './client-port.ts';

export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

export const taskAssignorName = 'tributary-streams';

/** The tasks a topology has, given each input topic's partition count. */
export function tasksOf(
  topology: Topology,
  applicationId: string,
  partitionsPerTopic: ReadonlyMap<string, number>,
): TaskId[] {
  const tasks: TaskId[] = [];
  for (const sub of topology.subtopologies) {
    const counts = sub.sourceTopics.map((t) =>
      partitionsPerTopic.get(resolveTopic(applicationId, t)),
    );
    if (counts.some((c) => c === undefined)) continue;
    const partitions = Math.max(...(counts as number[]));
    for (let p = 0; p < partitions; p++) tasks.push({ subtopology: sub.id, partition: p });
  }
  return tasks;
}

export function taskAssignor(topology: Topology, applicationId: string): AssignorPort {
  return {
    name: taskAssignorName,
    protocol: 'eager',
    assign({ members, partitionsPerTopic }) {
      const tasks = tasksOf(topology, applicationId, partitionsPerTopic);
      const ids = members.map((m) => m.memberId).sort();
      const owner = previousOwners(topology, applicationId, members);
      const placed = placeTasks(tasks, ids, owner);
      const result = new Map<string, PortTopicPartitions[]>();
      for (const id of ids)
        result.set(
          id,
          partitionsOf(topology, applicationId, placed.get(id) ?? [], partitionsPerTopic),
        );
      return result;
    },
  };
}

const taskKey = (t: TaskId) => `${t.subtopology}_${t.partition}`;

function previousOwners(
  topology: Topology,
  applicationId: string,
  members: Parameters<AssignorPort['assign']>[0]['members'],
): Map<string, string> {
  const owner = new Map<string, string>();
  const claimedIn = new Map<string, number>();
  for (const member of members) {
    const generation = member.subscription.generationId;
    for (const { topic, partitions } of member.subscription.ownedPartitions) {
      const sub = topology.subtopologies.find((s) =>
        s.sourceTopics.some((t) => resolveTopic(applicationId, t) === topic),
      );
      if (!sub) continue;
      for (const partition of partitions) {
        const task = taskKey({ subtopology: sub.id, partition });
        if ((claimedIn.get(task) ?? Number.NEGATIVE_INFINITY) >= generation) continue;
        claimedIn.set(task, generation);
        owner.set(task, member.memberId);
      }
    }
  }
  return owner;
}

/** Sticky where the previous owner has room, then round robin over the least loaded. */
export function placeTasks(
  tasks: readonly TaskId[],
  members: readonly string[],
  owner: ReadonlyMap<string, string>,
): Map<string, TaskId[]> {
  const placed = new Map<string, TaskId[]>(members.map((m) => [m, []]));
  if (members.length === 0) return placed;
  const ceiling = Math.ceil(tasks.length / members.length);
  const sorted = [...tasks].sort(
    (a, b) => a.partition - b.partition || a.subtopology - b.subtopology,
  );
  const rest: TaskId[] = [];
  for (const task of sorted) {
    const previous = owner.get(taskKey(task));
    const list = previous === undefined ? undefined : placed.get(previous);
    if (list && list.length < ceiling) list.push(task);
    else rest.push(task);
  }
  for (const task of rest) {
    const target = members.reduce(
      (best, m) => ((placed.get(m)?.length ?? 0) < (placed.get(best)?.length ?? 0) ? m : best),
      members[0] as string,
    );
    placed.get(target)?.push(task);
  }
  return placed;
}

function partitionsOf(
  topology: Topology,
  applicationId: string,
  tasks: readonly TaskId[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): PortTopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const task of tasks) {
    const sub = topology.subtopologies[task.subtopology];
    for (const ref of sub?.sourceTopics ?? []) {
      const topic = resolveTopic(applicationId, ref);
      if (task.partition >= (partitionsPerTopic.get(topic) ?? 0)) continue;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), task.partition]);
    }
  }
  return [...byTopic]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}
