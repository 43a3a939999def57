/**
 * What a consumer wants to read: topic names and patterns (in a group), or partitions
 * assigned by hand. Patterns are matched against the cluster's topic list, which is checked
 * every `topicCheckIntervalMs`; a change in the matching topics or their partition counts
 * triggers a rebalance, so new topics and partitions are picked up.
 */
import { ErrorCode, limits } from '@tributary/protocol';
import { CallScope, sleep } from '../abort.ts';
import { InvalidArgumentError, protocolError } from '../errors.ts';
import type { Cluster } from '../net/cluster.ts';
import type { ResetStrategy } from './partition-states.ts';
import type { TopicPartition } from './topic-partition.ts';

export interface RebalanceListener {
  /** Partitions this member now consumes (called before their first record). */
  onPartitionsAssigned?(partitions: TopicPartition[]): Promise<void> | void;
  /** Partitions given up in a rebalance, after their consumed offsets were committed. */
  onPartitionsRevoked?(partitions: TopicPartition[]): Promise<void> | void;
  /** Partitions that may already belong to another member (session lost): nothing committed. */
  onPartitionsLost?(partitions: TopicPartition[]): Promise<void> | void;
}

interface ManualEntry {
  readonly topic: string;
  readonly partitions: readonly number[] | undefined;
  readonly fromBeginning: boolean;
}

export class Subscription {
  private readonly names = new Set<string>();
  private readonly patterns: RegExp[] = [];
  private readonly fromBeginning: (string | RegExp)[] = [];
  private readonly manual: ManualEntry[] = [];
  private lastSeen = '';

  constructor(
    private readonly cluster: Cluster,
    readonly defaultReset: ResetStrategy,
  ) {}

  get isActive(): boolean {
    return this.names.size > 0 || this.patterns.length > 0;
  }

  add(options: {
    topics?: readonly (string | RegExp)[];
    topic?: string | RegExp;
    fromBeginning?: boolean;
  }) {
    const list = [
      ...(options.topics ?? []),
      ...(options.topic === undefined ? [] : [options.topic]),
    ];
    if (list.length === 0) throw new InvalidArgumentError('subscribe needs topics');
    for (const entry of list) {
      if (entry instanceof RegExp) this.patterns.push(entry);
      else if (typeof entry === 'string' && limits.topicNamePattern.test(entry))
        this.names.add(entry);
      else throw protocolError(ErrorCode.InvalidTopic.code, `invalid topic ${String(entry)}`);
      if (options.fromBeginning === true) this.fromBeginning.push(entry);
    }
    if (this.patterns.length > 0) this.cluster.track('all');
    this.cluster.track(this.names);
  }

  /** Where a topic starts without a committed offset. */
  resetFor(topic: string): ResetStrategy {
    const early = this.fromBeginning.some((entry) =>
      entry instanceof RegExp ? entry.test(topic) : entry === topic,
    );
    return early ? { kind: 'earliest' } : this.defaultReset;
  }

  /** The subscribed topic names now: the names, plus existing topics matching a pattern. */
  async topics(scope: CallScope): Promise<string[]> {
    if (this.patterns.length > 0) await this.cluster.refreshMetadata(scope);
    const matched = this.cluster.metadata
      .topicNames()
      .filter(
        (name) => !name.startsWith('__') && this.patterns.some((pattern) => pattern.test(name)),
      );
    return [...new Set([...this.names, ...matched])].sort();
  }

  addManual(
    entries: readonly { topic: string; partitions?: readonly number[] }[],
    fromBeginning: boolean,
  ) {
    for (const entry of entries) {
      if (typeof entry.topic !== 'string' || !limits.topicNamePattern.test(entry.topic)) {
        throw protocolError(ErrorCode.InvalidTopic.code, `invalid topic ${String(entry.topic)}`);
      }
      for (const p of entry.partitions ?? []) {
        if (!Number.isSafeInteger(p) || p < 0)
          throw new InvalidArgumentError(`invalid partition ${p}`);
      }
      this.manual.push({ topic: entry.topic, partitions: entry.partitions, fromBeginning });
    }
  }

  /** The hand-assigned partitions; a topic given without a list means all its partitions. */
  async manualPartitions(
    scope: CallScope,
  ): Promise<{ tp: TopicPartition; fromBeginning: boolean }[]> {
    const topics = [...new Set(this.manual.map((m) => m.topic))];
    await this.cluster.ensureTopics(topics, scope);
    const result: { tp: TopicPartition; fromBeginning: boolean }[] = [];
    for (const entry of this.manual) {
      const count = this.cluster.metadata.partitionCount(entry.topic) ?? 0;
      const partitions = entry.partitions ?? Array.from({ length: count }, (_, i) => i);
      for (const partition of partitions) {
        if (partition >= count) {
          throw protocolError(
            ErrorCode.UnknownTopicOrPartition.code,
            `${entry.topic} has no partition ${partition}`,
          );
        }
        result.push({ tp: { topic: entry.topic, partition }, fromBeginning: entry.fromBeginning });
      }
    }
    return result;
  }

  /** Calls `onChange` when the subscribed topics or their partition counts differ from the last join. */
  watch(intervalMs: number, signal: AbortSignal, onChange: () => void): void {
    void (async () => {
      while (!signal.aborted) {
        await sleep(intervalMs, signal).catch(() => {});
        if (signal.aborted) return;
        try {
          const scope = new CallScope(
            'topic check',
            { signal },
            this.cluster.options.requestTimeoutMs,
          );
          try {
            await this.cluster.refreshMetadata(scope);
            const topics = await this.topics(scope);
            const seen = topics
              .map((t) => `${t}:${this.cluster.metadata.partitionCount(t) ?? 0}`)
              .join(',');
            if (this.lastSeen !== '' && seen !== this.lastSeen) onChange();
            this.lastSeen = seen;
          } finally {
            scope.dispose();
          }
        } catch {
          // A failed check is retried at the next interval.
        }
      }
    })();
  }
}
