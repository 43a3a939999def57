/**
 * Finds positions for partitions that have none: first the group's committed offset (when
 * the consumer is in a group), else the reset strategy: earliest, latest, or the first
 * offset at or after a timestamp (ListOffsets, sent to each partition's leader). One round
 * at a time; a failed round (an error, or an answer that leaves out a partition asked
 * for) is retried by the consumer after a backoff.
 */
import { Api, ErrorCode, earliestTimestamp, latestTimestamp } from '@tributary/protocol';
import type { CallScope } from '../abort.ts';
import { MalformedResponseError, protocolError } from '../errors.ts';
import type { Cluster } from '../net/cluster.ts';
import type { PartitionState, PartitionStates, ResetStrategy } from './partition-states.ts';
import { groupTopicPartitions, tpKey } from './topic-partition.ts';

/** Committed offsets of these partitions (-1 where none). */
export type CommittedLookup = (
  partitions: readonly PartitionState[],
  scope: CallScope,
) => Promise<Map<string, number>>;

export class OffsetResolver {
  constructor(
    private readonly cluster: Cluster,
    private readonly states: PartitionStates,
    private readonly committed: CommittedLookup | undefined,
  ) {}

  /** Positions every pending partition it can. Throws OFFSET_OUT_OF_RANGE for policy `none`. */
  async resolve(scope: CallScope): Promise<void> {
    await this.fromCommitted(scope);
    const resets = [...this.states.all()].filter(
      (s): s is PartitionState & { pending: ResetStrategy } =>
        s.pending !== undefined && s.pending !== 'committed',
    );
    const refused = resets.find((s) => s.pending.kind === 'none');
    if (refused !== undefined) {
      throw protocolError(
        ErrorCode.OffsetOutOfRange.code,
        `${refused.topic}/${refused.partition} has no valid position and autoOffsetReset is 'none'`,
      );
    }
    if (resets.length > 0) await this.reset(resets, scope);
  }

  private async fromCommitted(scope: CallScope): Promise<void> {
    const waiting = [...this.states.all()].filter((s) => s.pending === 'committed');
    if (waiting.length === 0) return;
    const committed =
      this.committed === undefined
        ? new Map<string, number>()
        : await this.committed(waiting, scope);
    for (const state of waiting) {
      if (state.pending !== 'committed') continue; // repositioned meanwhile (seek)
      const offset = committed.get(tpKey(state.topic, state.partition)) ?? -1;
      if (offset >= 0) {
        state.committedOffset = offset;
        this.states.position(state, offset);
      } else {
        state.pending = state.resetFallback;
      }
    }
  }

  private async reset(
    pending: readonly (PartitionState & { pending: ResetStrategy })[],
    scope: CallScope,
  ) {
    const byLeader = new Map<number, (PartitionState & { pending: ResetStrategy })[]>();
    for (const state of pending) {
      const leader = this.cluster.leaderOf(state.topic, state.partition);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), state]);
    }
    // What each partition was asked for: a seek made while the lookup is in flight sets a
    // new strategy, and the lookup's answer must then not overwrite it.
    const asked = new Map(pending.map((state) => [state, state.pending]));
    await Promise.all(
      [...byLeader].map(async ([nodeId, states]) => {
        const found = await this.listOffsets(nodeId, states, scope);
        const missing: string[] = [];
        for (const state of states) {
          const offset = found.get(tpKey(state.topic, state.partition));
          if (offset === undefined) missing.push(`${state.topic}/${state.partition}`);
          else if (state.pending === asked.get(state)) this.states.position(state, offset);
        }
        // A round that positions nothing must fail, so the caller backs off before asking
        // again instead of asking at once, forever.
        if (missing.length > 0) {
          throw new MalformedResponseError(
            `ListOffsets answer from node ${nodeId} left out ${missing.join(', ')}`,
          );
        }
      }),
    );
  }

  /** One ListOffsets round trip; a timestamp past the end falls back to the latest offset. */
  private async listOffsets(
    nodeId: number,
    states: readonly (PartitionState & { pending: ResetStrategy })[],
    scope: CallScope,
  ): Promise<Map<string, number>> {
    const timestampOf = (s: ResetStrategy) =>
      s.kind === 'earliest'
        ? earliestTimestamp
        : s.kind === 'timestamp'
          ? s.timestampMs
          : latestTimestamp;
    const strategy = new Map(states.map((s) => [tpKey(s.topic, s.partition), s.pending]));
    const topics = groupTopicPartitions(states).map(({ topic, partitions }) => ({
      name: topic,
      partitions: partitions.map((partition) => ({
        partition,
        timestamp: timestampOf(strategy.get(tpKey(topic, partition)) ?? { kind: 'latest' }),
      })),
    }));
    const response = await this.cluster.request(nodeId, Api.ListOffsets, { topics }, scope);
    const found = new Map<string, number>();
    const pastEnd: (PartitionState & { pending: ResetStrategy })[] = [];
    for (const topic of response.topics) {
      for (const result of topic.partitions) {
        const state = states.find(
          (s) => s.topic === topic.name && s.partition === result.partition,
        );
        if (result.error !== ErrorCode.None.code) {
          if (result.error === ErrorCode.NotLeader.code) {
            this.cluster.noteNotLeader(topic.name, result.partition, result.leaderHint);
          }
          throw protocolError(result.error, result.message, { nodeId });
        }
        if (result.offset >= 0) found.set(tpKey(topic.name, result.partition), result.offset);
        else if (state !== undefined) pastEnd.push({ ...state, pending: { kind: 'latest' } });
      }
    }
    if (pastEnd.length > 0) {
      for (const [key, offset] of await this.listOffsets(nodeId, pastEnd, scope))
        found.set(key, offset);
    }
    return found;
  }
}
