/**
 * Consumer-group coordination on this node: one GroupCoordinator per `__consumer_offsets`
 * partition this node leads. A coordinator is loaded from its partition (read from start to
 * end) when the partition's leader is ready to serve, persists through produce to that
 * partition, and is unloaded when leadership goes.
 */
import {
  type BrokerInfo,
  ErrorCode,
  encodeRecordBatch,
  type FindCoordinatorResponse,
  iterateRecords,
  ProtocolError,
} from '@tributary/protocol';
import { offsetsTopicName } from '../controller/controller.ts';
import {
  type ClientContext,
  GroupCoordinator,
  type OffsetLogRecord,
  offsetsPartitionFor,
} from '../groups/index.ts';
import type { Logger } from '../logger.ts';
import type { MetadataState } from '../metadata/state.ts';
import type { LeadershipListener, PartitionReplica } from '../partition/replica.ts';

const loadReadBytes = 1024 * 1024;

export class GroupCoordinators implements LeadershipListener {
  private readonly coordinators = new Map<number, GroupCoordinator>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: {
      readonly nodeId: number;
      readonly state: () => MetadataState;
      readonly logger: Logger;
      readonly localLeader: (groupId: number) => number | undefined;
    },
  ) {
    this.timer = setInterval(() => this.tick(), 100);
  }

  private tick(): void {
    const now = Date.now();
    for (const coordinator of this.coordinators.values()) coordinator.tick(now);
  }

  /** Hooks a replica of the offsets topic; other topics' replicas are ignored. */
  watch(replica: PartitionReplica): void {
    if (replica.topic === offsetsTopicName) replica.listener = this;
  }

  leaderReady(replica: PartitionReplica, term: number): void {
    void this.load(replica, term).catch((error) => {
      this.options.logger.error('group coordinator failed to load', {
        partition: replica.partition,
        error: (error as Error).message,
      });
    });
  }

  leadershipLost(replica: PartitionReplica): void {
    const coordinator = this.coordinators.get(replica.partition);
    this.coordinators.delete(replica.partition);
    coordinator?.unload();
  }

  private async load(replica: PartitionReplica, term: number): Promise<void> {
    const end = replica.highWatermark;
    const records: OffsetLogRecord[] = [];
    let offset = replica.log.logStartOffset;
    while (offset < end) {
      const read = await replica.read(offset, loadReadBytes);
      for (const batch of read.batches) {
        for (const record of iterateRecords(batch)) {
          if (record.offset < end && record.key)
            records.push({ key: record.key, value: record.value });
        }
      }
      if (read.nextOffset <= offset) break;
      offset = read.nextOffset;
    }
    if (!replica.isLeader) return;
    const coordinator = new GroupCoordinator({
      nowMs: () => Date.now(),
      instanceTag: `${this.options.nodeId}.${replica.partition}.${term}`,
      log: { append: (batch) => this.append(replica, batch) },
      onPersistError: (groupId, error) =>
        this.options.logger.warn('group metadata not persisted', { groupId, error: String(error) }),
    });
    const summary = coordinator.load(records);
    this.coordinators.get(replica.partition)?.unload();
    this.coordinators.set(replica.partition, coordinator);
    this.options.logger.info('group coordinator loaded', {
      partition: replica.partition,
      term,
      ...summary,
    });
  }

  private async append(
    replica: PartitionReplica,
    records: readonly OffsetLogRecord[],
  ): Promise<void> {
    const batch = encodeRecordBatch(
      records.map((r) => ({ key: r.key, value: r.value, timestamp: Date.now() })),
    );
    await replica.produce([batch], 'quorum', 30_000);
  }

  private partitionCount(): number {
    return this.options.state().topics.get(offsetsTopicName)?.partitions.length ?? 0;
  }

  /** The coordinator for a group on this node, or NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE. */
  forGroup(groupId: string): GroupCoordinator {
    const count = this.partitionCount();
    if (count === 0)
      throw new ProtocolError(
        ErrorCode.CoordinatorNotAvailable,
        'the offsets topic does not exist yet',
      );
    const coordinator = this.coordinators.get(offsetsPartitionFor(groupId, count));
    if (!coordinator) throw new ProtocolError(ErrorCode.NotCoordinator);
    return coordinator;
  }

  all(): GroupCoordinator[] {
    return [...this.coordinators.values()];
  }

  find(groupId: string): FindCoordinatorResponse {
    const state = this.options.state();
    const topic = state.topics.get(offsetsTopicName);
    const none = { nodeId: -1, host: '', port: 0 };
    if (!topic)
      return {
        error: ErrorCode.CoordinatorNotAvailable.code,
        message: 'offsets topic not created yet',
        ...none,
      };
    const partition = topic.partitions[offsetsPartitionFor(groupId, topic.partitions.length)];
    const leader = partition
      ? (this.options.localLeader(partition.groupId) ?? partition.leader)
      : -1;
    const broker: BrokerInfo | undefined = state.brokers.get(leader);
    if (!broker)
      return {
        error: ErrorCode.CoordinatorNotAvailable.code,
        message: 'no leader for its partition',
        ...none,
      };
    return { error: 0, nodeId: broker.nodeId, host: broker.host, port: broker.port };
  }

  close(): void {
    clearInterval(this.timer);
    for (const coordinator of this.coordinators.values()) coordinator.unload();
    this.coordinators.clear();
  }
}

export type { ClientContext };
