/**
 * The round-robin assignor (Kafka's `roundrobin`): all subscribed partitions, sorted by
 * topic and partition, dealt one at a time to the members in a stable circular order,
 * skipping members that do not subscribe to the partition's topic.
 */
import type { TopicPartitions } from '../protocol-metadata.ts';
import {
  type Assignor,
  type AssignorInput,
  groupByTopic,
  sortedMembers,
  type TopicPartition,
} from './types.ts';

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  protocol: 'eager',
  assign({ members, partitionsPerTopic }: AssignorInput): Map<string, TopicPartitions[]> {
    const ordered = sortedMembers(members);
    const lists = new Map<string, TopicPartition[]>(ordered.map((m) => [m.memberId, []]));
    if (ordered.length === 0) return new Map();
    const all: TopicPartition[] = [];
    for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!ordered.some((m) => m.subscription.topics.includes(topic))) continue;
      for (let partition = 0; partition < count; partition += 1) all.push({ topic, partition });
    }
    let cursor = 0;
    for (const tp of all) {
      for (let tries = 0; tries < ordered.length; tries += 1) {
        const member = ordered[cursor % ordered.length]!;
        cursor += 1;
        if (member.subscription.topics.includes(tp.topic)) {
          lists.get(member.memberId)?.push(tp);
          break;
        }
      }
    }
    return new Map([...lists].map(([id, list]) => [id, groupByTopic(list)]));
  },
};
