/**
 * What a consumer wants to read: topic names and patterns (in a group), or partitions
 * assigned by hand. Patterns are matched against the cluster's topic list, which is checked
 * every `topicCheckIntervalMs`; a difference from what the last join asked for (the
 * matching topics or their partition counts) triggers a rebalance, so new topics and
 * partitions are picked up.
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
  /** The topics and partition counts the last join asked for; undefined before the first. */
  private joinedView: string | undefined;

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

  /**
   * The subscribed topic names for a join: the names, plus existing topics matching a
   * pattern. What it returns (with partition counts) is what `watch` compares against.
   */
  async topicsForJoin(scope: CallScope): Promise<string[]> {
    // Patterns need the whole topic list as it is now; names need their partition counts.
    if (this.patterns.length > 0) await this.cluster.refreshMetadata(scope);
    else await this.cluster.ensureFresh(scope);
    const topics = this.matchingTopics();
    this.joinedView = this.view(topics);
    return topics;
  }

  /** The names plus the topics in the cached metadata that match a pattern. */
  private matchingTopics(): string[] {
    const matched = this.cluster.metadata
      .topicNames()
      .filter(
        (name) => !name.startsWith('__') && this.patterns.some((pattern) => pattern.test(name)),
      );
    return [...new Set([...this.names, ...matched])].sort();
  }

  private view(topics: readonly string[]): string {
    return topics.map((t) => `${t}:${this.cluster.metadata.partitionCount(t) ?? 0}`).join(',');
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

  /**
   * Calls `onChange` while the subscribed topics or their partition counts differ from what
   * the last join asked for. The baseline is the join's, not the previous check's: a topic
   * created between the join and the first check would otherwise be taken as already
   * known and never picked up.
   */
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
            const seen = this.view(this.matchingTopics());
            if (this.joinedView !== undefined && seen !== this.joinedView) onChange();
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
