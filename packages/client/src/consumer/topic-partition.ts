/** Topic-partition keys and lists used across the consumer. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function parseTpKey(key: string): TopicPartition {
  const at = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

export function groupTopicPartitions(
  list: Iterable<TopicPartition>,
): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of list) {
    let partitions = byTopic.get(topic);
    if (partitions === undefined) {
      partitions = [];
      byTopic.set(topic, partitions);
    }
    partitions.push(partition);
  }
  return [...byTopic]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}
