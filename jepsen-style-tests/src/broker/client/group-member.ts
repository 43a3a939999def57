/**
 * The group workload's side of one client process: at most one consumer group membership at
 * a time (an incarnation), driven by `join`, `poll`, `commit`, `leave` and `crash`.
 *
 * What the history needs from a member, and how it gets it:
 * - `assign`: each generation's assignment, from the client's `rebalance` events, queued as a
 *   marker between the records delivered before and after it, so it is recorded between the
 *   polls it separates;
 * - `poll`: records in delivery order; records of partitions given up before a poll handed
 *   them out are dropped (they were never delivered; the next owner reads them);
 * - `commit`: the member commits, for one partition it owns, exactly the offset after the last
 *   record a poll handed out (never what the consumer merely fetched), so "committed" means
 *   "delivered" in the history's terms. Auto-commit is off.
 */
import {
  Client,
  type ClientOptions,
  type TopicPartition as ClientTopicPartition,
  type Consumer,
} from '@tributary/client';
import { abandonConsumer } from '@tributary/client/internal';
import type {
  CommitValue,
  MemberValue,
  PollValue,
  TopicPartition,
} from '../../history/operation.ts';
import { partitionKey } from '../../history/operation.ts';
import type { Completion, OperationRequest } from '../../runner/workload.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import {
  deliveryQueueRecordsMax,
  fetchMaxWaitMs,
  groupHeartbeatIntervalMs,
  groupRebalanceTimeoutMs,
  groupSessionTimeoutMs,
  pollRecordsMax,
  pollWaitMs,
} from './limits.ts';
import { describeError, type OperationCall, writeFailed } from './outcomes.ts';
import { decodeRecordValue, offsetNumber } from './record-values.ts';

/** One membership: its own Client (so its events are its own), consumer and queue. */
interface Incarnation {
  readonly group: string;
  readonly client: Client;
  readonly consumer: Consumer;
  readonly queue: DeliveryQueue;
  /** Per partition key: the offset after the last record a poll handed out. */
  readonly delivered: Map<string, TopicPartition & { next: number }>;
  memberId: string | undefined;
}

export class GroupMember {
  private current: Incarnation | undefined;

  constructor(private readonly clientOptions: ClientOptions) {}

  async join(value: MemberValue, call: OperationCall): Promise<Completion> {
    if (this.current !== undefined)
      return { type: 'fail', value, error: 'already a member of a group' };
    if (value.topic === undefined) return { type: 'fail', value, error: 'join needs a topic' };
    const incarnation = this.incarnation(value.group);
    try {
      await incarnation.consumer.connect(call);
      incarnation.consumer.subscribe({ topics: [value.topic], fromBeginning: true });
      await incarnation.consumer.run({
        autoCommit: false,
        eachMessage: ({ topic, partition, message }) =>
          incarnation.queue.pushRecord({
            topic,
            partition,
            offset: offsetNumber(message.offset),
            value: decodeRecordValue(message.value),
          }),
      });
    } catch (error) {
      await this.end(incarnation, 'crash');
      return writeFailed(value, error);
    }
    this.current = incarnation;
    return { type: 'ok', value };
  }

  private incarnation(group: string): Incarnation {
    const client = new Client(this.clientOptions);
    const delivered = new Map<string, TopicPartition & { next: number }>();
    const queue = new DeliveryQueue(deliveryQueueRecordsMax);
    const forget = (partitions: ClientTopicPartition[]): void => {
      const keys = new Set(partitions.map(partitionKey));
      for (const key of keys) delivered.delete(key);
      queue.discard((record) => keys.has(partitionKey(record)));
    };
    const consumer = client.consumer({
      groupId: group,
      sessionTimeoutMs: groupSessionTimeoutMs,
      heartbeatIntervalMs: groupHeartbeatIntervalMs,
      rebalanceTimeoutMs: groupRebalanceTimeoutMs,
      autoOffsetReset: 'earliest',
      maxWaitMs: fetchMaxWaitMs,
      rebalanceListener: { onPartitionsRevoked: forget, onPartitionsLost: forget },
    });
    const incarnation: Incarnation = {
      group,
      client,
      consumer,
      queue,
      delivered,
      memberId: undefined,
    };
    client.on('rebalance', (event) => {
      if (event.phase !== 'assigned' || event.groupId !== group) return;
      incarnation.memberId = event.memberId;
      queue.pushAssignment({
        group,
        generation: event.generationId,
        member: event.memberId,
        partitions: (event.assignment ?? []).map(({ topic, partition }) => ({ topic, partition })),
      });
    });
    return incarnation;
  }

  async poll(value: PollValue, call: OperationCall): Promise<Completion> {
    const member = this.current;
    if (member === undefined) return { type: 'fail', value, error: 'not a member' };
    const taken = await member.queue.take(pollRecordsMax, pollWaitMs, call.signal);
    for (const record of taken.records) {
      const { topic, partition } = record;
      member.delivered.set(partitionKey(record), { topic, partition, next: record.offset + 1 });
    }
    const observed: OperationRequest[] = taken.assignments.map((assignment) => ({
      f: 'assign',
      value: assignment,
    }));
    const memberId = member.memberId;
    return {
      type: 'ok',
      value: {
        group: member.group,
        ...(memberId ? { member: memberId } : {}),
        records: taken.records,
      },
      ...(observed.length > 0 ? { observed } : {}),
    };
  }

  /**
   * Commits the offset after the last record handed out, for the partition named when this
   * member owns it and has handed out records of it, otherwise for the lowest such partition
   * (the generator cannot know which partitions a member holds; without the fallback most
   * commits of a small group would fail the precondition and test nothing). The completion
   * names the partition actually committed.
   */
  async commit(value: CommitValue, call: OperationCall): Promise<Completion> {
    const member = this.current;
    if (member === undefined) return { type: 'fail', value, error: 'not a member' };
    const position = committablePosition(member, value);
    if (position === undefined)
      return { type: 'fail', value, error: 'nothing delivered on a partition this member owns' };
    const done: CommitValue = {
      ...value,
      partition: position.partition,
      offset: position.next,
      ...(member.memberId ? { member: member.memberId } : {}),
    };
    try {
      // Called in the same tick as the ownership check: the generation sent is the one checked.
      await member.consumer.commitOffsets(
        [{ topic: position.topic, partition: position.partition, offset: position.next }],
        call,
      );
      return { type: 'ok', value: done };
    } catch (error) {
      return { type: 'info', value: done, error: describeError(error) };
    }
  }

  /** `leave` stops gracefully (LeaveGroup); `crash` stops as a killed process would. */
  async stop(how: 'leave' | 'crash', value: MemberValue, call: OperationCall): Promise<Completion> {
    const member = this.current;
    if (member === undefined) return { type: 'fail', value, error: 'not a member' };
    this.current = undefined;
    const done = { ...value, ...(member.memberId ? { member: member.memberId } : {}) };
    try {
      await this.end(member, how, call);
      return { type: 'ok', value: done };
    } catch (error) {
      return { type: 'info', value: done, error: describeError(error) };
    }
  }

  private async end(
    member: Incarnation,
    how: 'leave' | 'crash',
    call?: OperationCall,
  ): Promise<void> {
    member.queue.close();
    if (how === 'crash') await abandonConsumer(member.consumer);
    else await member.consumer.disconnect(call ?? {});
  }

  async close(): Promise<void> {
    if (this.current !== undefined) await this.end(this.current, 'crash').catch(() => {});
    this.current = undefined;
  }
}

/** The position to commit for `wanted`, or the lowest owned partition with one, if any. */
function committablePosition(
  member: Incarnation,
  wanted: TopicPartition,
): (TopicPartition & { next: number }) | undefined {
  const owned = member.consumer.assignment();
  const isOwned = (tp: TopicPartition) =>
    owned.some((o) => o.topic === tp.topic && o.partition === tp.partition);
  const exact = member.delivered.get(partitionKey(wanted));
  if (exact !== undefined && isOwned(exact)) return exact;
  let lowest: (TopicPartition & { next: number }) | undefined;
  for (const position of member.delivered.values()) {
    if (position.topic !== wanted.topic || !isOwned(position)) continue;
    if (lowest === undefined || position.partition < lowest.partition) lowest = position;
  }
  return lowest;
}
