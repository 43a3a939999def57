/**
 * Partition assignors run on the group leader: from every member's subscription and the
 * partition count of each subscribed topic they compute who consumes which partition.
 * They are pure and deterministic (the same input in any member order gives the same
 * output), so any member may be leader.
 */
import type { Subscription, TopicPartitions } from '../protocol-metadata.ts';

/** `eager`: members give up all partitions before a rebalance. `cooperative`: only those that move. */
export type RebalanceProtocol = 'eager' | 'cooperative';

export interface AssignorMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly subscription: Subscription;
}

export interface AssignorInput {
  readonly members: readonly AssignorMember[];
  /** Partition count of every topic any member subscribes to (missing: unknown, skipped). */
  readonly partitionsPerTopic: ReadonlyMap<string, number>;
}

export interface Assignor {
  /** The protocol name in JoinGroup (Kafka's: `range`, `roundrobin`, `cooperative-sticky`). */
  readonly name: string;
  readonly protocol: RebalanceProtocol;
  assign(input: AssignorInput): Map<string, TopicPartitions[]>;
}

/** A flat, sortable list entry. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export function compareTopicPartition(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups a flat list into per-topic lists, topics and partitions sorted. */
export function groupByTopic(list: readonly TopicPartition[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of [...list].sort(compareTopicPartition)) {
    let partitions = byTopic.get(topic);
    if (partitions === undefined) {
      partitions = [];
      byTopic.set(topic, partitions);
    }
    partitions.push(partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

export function flatten(list: readonly TopicPartitions[]): TopicPartition[] {
  return list.flatMap(({ topic, partitions }) =>
    partitions.map((partition) => ({ topic, partition })),
  );
}

/** Members in a stable order: static members by instance id first, then by member id. */
export function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  const key = (m: AssignorMember) => m.groupInstanceId ?? `\uffff${m.memberId}`;
  return [...members].sort((a, b) => compareStrings(key(a), key(b)));
}
