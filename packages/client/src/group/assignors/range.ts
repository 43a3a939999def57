/**
 * The range assignor (Kafka's `range`): per topic, the members subscribing to it (in a
 * stable order) each get a contiguous range of partitions; the first `count % members`
 * get one extra.
 */
import type { TopicPartitions } from '../protocol-metadata.ts';
import {
  type Assignor,
  type AssignorInput,
  groupByTopic,
  sortedMembers,
  type TopicPartition,
} from './types.ts';

export const rangeAssignor: Assignor = {
  name: 'range',
  protocol: 'eager',
  assign({ members, partitionsPerTopic }: AssignorInput): Map<string, TopicPartitions[]> {
    const ordered = sortedMembers(members);
    const lists = new Map<string, TopicPartition[]>(ordered.map((m) => [m.memberId, []]));
    for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subscribers = ordered.filter((m) => m.subscription.topics.includes(topic));
      if (subscribers.length === 0) continue;
      const base = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((member, index) => {
        const take = base + (index < extra ? 1 : 0);
        for (let i = 0; i < take; i += 1)
          lists.get(member.memberId)?.push({ topic, partition: next + i });
        next += take;
      });
    }
    return new Map([...lists].map(([id, list]) => [id, groupByTopic(list)]));
  },
};
