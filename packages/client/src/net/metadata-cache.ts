/**
 * The client's view of cluster metadata: brokers, the controller, and per topic its
 * partitions with their leaders. Pure: it is filled from Metadata responses and patched
 * by leader hints; the Cluster decides when to refresh it.
 */
import {
  type BrokerInfo,
  ErrorCode,
  type MetadataResponse,
  type PartitionMetadata,
} from '@tributary/protocol';
import type { BrokerAddress } from './broker-address.ts';

export interface TopicView {
  readonly name: string;
  /** Protocol error of the topic in the last metadata answer (0 when none). */
  readonly error: number;
  readonly partitions: readonly PartitionMetadata[];
}

export class MetadataCache {
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicView>();
  private readonly leaderOverrides = new Map<string, number>();
  clusterId = '';
  controllerId = -1;
  /** When the last full answer was applied, in ms since the epoch (0: never). */
  updatedAtMs = 0;

  /**
   * Applies a Metadata answer. When `requested` is a list, topics in it but absent from the
   * answer are forgotten; when it is null (all topics), every topic not in the answer is.
   */
  apply(response: MetadataResponse, requested: readonly string[] | null, nowMs: number): void {
    this.clusterId = response.clusterId;
    this.controllerId = response.controllerId;
    if (response.brokers.length > 0) {
      this.brokers.clear();
      for (const broker of response.brokers) this.brokers.set(broker.nodeId, broker);
    }
    const answered = new Set<string>();
    for (const topic of response.topics) {
      answered.add(topic.name);
      this.topics.set(topic.name, {
        name: topic.name,
        error: topic.error,
        partitions: [...topic.partitions].sort((a, b) => a.partition - b.partition),
      });
    }
    const stale = requested === null ? [...this.topics.keys()] : requested;
    for (const name of stale) if (!answered.has(name)) this.topics.delete(name);
    this.leaderOverrides.clear();
    this.updatedAtMs = nowMs;
  }

  broker(nodeId: number): BrokerAddress | undefined {
    return this.brokers.get(nodeId);
  }

  brokerIds(): number[] {
    return [...this.brokers.keys()];
  }

  addBroker(broker: BrokerInfo): void {
    this.brokers.set(broker.nodeId, broker);
  }

  topic(name: string): TopicView | undefined {
    return this.topics.get(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()].filter((name) => this.topics.get(name)?.error === 0);
  }

  /** The number of partitions of a topic known to exist, or undefined. */
  partitionCount(name: string): number | undefined {
    const topic = this.topics.get(name);
    if (topic === undefined || topic.error !== ErrorCode.None.code) return undefined;
    return topic.partitions.length;
  }

  /** The leader's node id, or -1 when unknown or leaderless. */
  leaderOf(topic: string, partition: number): number {
    const override = this.leaderOverrides.get(`${topic}\u0000${partition}`);
    if (override !== undefined) return override;
    return this.partition(topic, partition)?.leader ?? -1;
  }

  partition(topic: string, partition: number): PartitionMetadata | undefined {
    const partitions = this.topics.get(topic)?.partitions;
    if (partitions === undefined) return undefined;
    const direct = partitions[partition];
    if (direct?.partition === partition) return direct;
    return partitions.find((entry) => entry.partition === partition);
  }

  /** Adopts a NOT_LEADER hint until the next refresh, if the hinted broker is known. */
  hintLeader(topic: string, partition: number, nodeId: number): boolean {
    if (nodeId < 0 || !this.brokers.has(nodeId)) return false;
    this.leaderOverrides.set(`${topic}\u0000${partition}`, nodeId);
    return true;
  }
}
