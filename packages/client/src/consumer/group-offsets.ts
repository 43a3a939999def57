/**
 * Committing and reading a group's offsets at its coordinator. A member commits with its
 * generation and member id (a commit from a stale generation is refused, so a member that
 * lost its partitions cannot overwrite the new owner's progress); a consumer that assigned
 * partitions by hand commits as generation -1 with no member id, which the coordinator
 * accepts only while the group has no members.
 *
 * The committed offset is the next offset to consume, as in Kafka.
 */
import { Api, ErrorCode } from '@tributary/protocol';
import type { CallScope } from '../abort.ts';
import { CallOrder } from '../call-order.ts';
import { protocolError } from '../errors.ts';
import type { GroupMembership } from '../group/membership.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import type { Cluster } from '../net/cluster.ts';
import { groupTopicPartitions, tpKey } from './topic-partition.ts';

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata?: string;
}

export class GroupOffsets {
  /**
   * Commits run one at a time, in call order: a commit retried after a refusal (a
   * coordinator loading or moving) that landed after a later one would move the group's
   * committed offset back.
   */
  private readonly commits = new CallOrder();

  constructor(
    private readonly cluster: Cluster,
    private readonly groupId: string,
    private readonly groupInstanceId: string | null,
    private readonly membership: () => GroupMembership | undefined,
    private readonly emitter: ClientEmitter,
  ) {}

  /** Commits once every earlier commit has settled (see CallOrder). */
  commit(offsets: readonly OffsetToCommit[], scope: CallScope): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    return this.commits.run(scope, () => this.commitNow(offsets, scope));
  }

  private async commitNow(offsets: readonly OffsetToCommit[], scope: CallScope): Promise<void> {
    const member = this.membership();
    const inGroup = member !== undefined && member.generationId >= 0;
    const metadata = new Map(offsets.map((o) => [tpKey(o.topic, o.partition), o]));
    const request = {
      groupId: this.groupId,
      generationId: inGroup ? member.generationId : -1,
      memberId: inGroup ? member.memberId : '',
      groupInstanceId: inGroup ? this.groupInstanceId : null,
      topics: groupTopicPartitions(offsets).map(({ topic, partitions }) => ({
        name: topic,
        partitions: partitions.map((partition) => {
          const entry = metadata.get(tpKey(topic, partition))!;
          return { partition, offset: entry.offset, metadata: entry.metadata ?? '' };
        }),
      })),
    };
    await this.toCoordinator(scope, async (nodeId) => {
      // Errors in the answer are checked inside the retry, so a coordinator that moved
      // (NOT_COORDINATOR) is forgotten and the commit goes to the new one.
      const response = await this.cluster.request(nodeId, Api.OffsetCommit, request, scope);
      for (const topic of response.topics) {
        for (const result of topic.partitions) {
          if (result.error === ErrorCode.None.code) continue;
          if (
            result.error === ErrorCode.IllegalGeneration.code ||
            result.error === ErrorCode.UnknownMemberId.code
          ) {
            member?.requestRejoin('a commit was refused');
          }
          throw protocolError(result.error, `commit of ${topic.name}/${result.partition} refused`);
        }
      }
    });
    this.emitter.emit('commit', {
      groupId: this.groupId,
      offsets: offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: BigInt(o.offset),
      })),
    });
  }

  /** Committed offsets (-1 where none) of these partitions. */
  async fetch(
    partitions: readonly { topic: string; partition: number }[],
    scope: CallScope,
  ): Promise<Map<string, number>> {
    const request = {
      groupId: this.groupId,
      topics: groupTopicPartitions(partitions).map(({ topic, partitions: list }) => ({
        name: topic,
        partitions: list,
      })),
    };
    return this.toCoordinator(scope, async (nodeId) => {
      const answer = await this.cluster.request(nodeId, Api.OffsetFetch, request, scope);
      if (answer.error !== ErrorCode.None.code) throw protocolError(answer.error, answer.message);
      const committed = new Map<string, number>();
      for (const topic of answer.topics) {
        for (const result of topic.partitions) {
          if (result.error !== ErrorCode.None.code) {
            throw protocolError(result.error, `${topic.name}/${result.partition}`);
          }
          committed.set(tpKey(topic.name, result.partition), result.offset);
        }
      }
      return committed;
    });
  }

  private toCoordinator<T>(scope: CallScope, send: (nodeId: number) => Promise<T>): Promise<T> {
    return this.cluster.retry(scope, async () => {
      try {
        return await send(await this.cluster.coordinatorOf(this.groupId, scope));
      } catch (error) {
        this.cluster.noteError(error, { groupId: this.groupId });
        throw error;
      }
    });
  }
}
