/**
 * The partition replicas this node hosts. It reconciles the local set with the metadata
 * (create replicas assigned here, remove those of deleted topics), and runs the periodic
 * duties: flush and checkpoint each partition log, then let its Raft log shrink; retention
 * and compaction passes.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RaftHost } from '@tributary/raft/host';
import { CorruptLogError, type LogConfig, PartitionLog } from '@tributary/storage';
import { ReplicaFencedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MetadataState, PartitionRecord, TopicRecord } from '../metadata/state.ts';
import { topicConfigValue } from '../metadata/topic-configs.ts';
import { encodeApplyCheckpoint, readApplyCheckpoint } from '../partition/apply-checkpoint.ts';
import { PartitionReplica } from '../partition/replica.ts';
import type { CopyRead } from '../partition/replica-copy.ts';

export interface ReplicaManagerOptions {
  readonly nodeId: number;
  readonly dataDir: string;
  readonly host: RaftHost;
  readonly logger: Logger;
  /** Raft entries kept behind the slowest replica's match, so a short outage needs no snapshot. */
  readonly raftLogRetainEntries: number;
  /** The node's largest accepted batch (configuration `messageBytesMax`). */
  readonly messageBytesMax: number;
  /** Reads a partition from the given leader (for replicas installing a snapshot). */
  readonly readFromLeader: (
    replica: PartitionReplica,
    leader: number,
    offset: number,
    maxBytes: number,
  ) => Promise<CopyRead>;
  /** Called for each replica created, before its Raft group starts. */
  readonly onReplicaCreated?: (replica: PartitionReplica) => void;
}

/** Bytes of a batch's frame header on disk, plus slack. */
const frameOverheadBytes = 64;
/** Smallest encoded record: a compaction map must hold every key of one batch. */
const recordBytesMin = 7;
const compactionKeysDefault = 256 * 1024;

/**
 * The segment store's configuration for a topic. The largest batch it accepts is the
 * node's `messageBytesMax`, not the topic's `max.message.bytes` (which produce enforces):
 * lowering a topic's limit must never make already committed entries unappliable.
 */
export function logConfigFor(
  configs: Readonly<Record<string, string>>,
  messageBytesMax: number,
): Partial<LogConfig> {
  const number = (name: string) => Number(topicConfigValue(configs, name));
  const policy = topicConfigValue(configs, 'cleanup.policy');
  const maxBatchBytes = messageBytesMax + 1024;
  // A segment must hold the largest batch.
  const segmentBytes = Math.max(number('segment.bytes'), maxBatchBytes + frameOverheadBytes);
  return {
    segmentBytes,
    indexIntervalBytes: Math.min(4096, segmentBytes),
    appendBufferBytesMax: Math.max(16 * 1024 * 1024, 2 * (maxBatchBytes + frameOverheadBytes)),

    segmentMs: number('segment.ms'),
    retentionMs: number('retention.ms'),
    retentionBytes: number('retention.bytes'),
    deleteRetentionMs: number('delete.retention.ms'),
    maxBatchBytes,
    compactionKeysMax: Math.max(compactionKeysDefault, Math.ceil(maxBatchBytes / recordBytesMin)),
    cleanupPolicy:
      policy === 'delete,compact' ? 'compact,delete' : (policy as LogConfig['cleanupPolicy']),
  };
}

export interface UnopenedReplica {
  readonly reason: string;
  /** The replica's data is damaged (it is fenced); false: some other error. */
  readonly damaged: boolean;
}

export class ReplicaManager {
  private readonly replicas = new Map<number, PartitionReplica>();
  private readonly byName = new Map<string, PartitionReplica>();
  /** Replicas assigned here that could not be opened, by group: why, and whether data damage. */
  private readonly unopenable = new Map<number, UnopenedReplica>();
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;
  /** Groups whose damaged data this process set aside to rebuild them (see setAsideDamaged). */
  private readonly setAside = new Set<number>();

  constructor(private readonly options: ReplicaManagerOptions) {}

  get(topic: string, partition: number): PartitionReplica | undefined {
    return this.byName.get(`${topic}/${partition}`);
  }

  byGroup(groupId: number): PartitionReplica | undefined {
    return this.replicas.get(groupId);
  }

  all(): PartitionReplica[] {
    return [...this.replicas.values()];
  }

  /** How many replicas' damaged data this node set aside and rebuilt since it started. */
  get damagedSetAside(): number {
    return this.setAside.size;
  }

  /** Replicas assigned here that could not be opened at the last reconciliation, and why. */
  unopened(): UnopenedReplica[] {
    return [...this.unopenable.values()];
  }

  private directoryOf(p: PartitionRecord): string {
    return join(this.options.dataDir, 'partitions', `${p.topic}-${p.partition}.${p.groupId}`);
  }

  /** Brings the local replicas in line with the metadata; calls are serialized. */
  reconcile(state: MetadataState): Promise<void> {
    this.reconciling = this.reconciling
      .then(() => this.reconcileNow(state))
      .catch((error) => {
        this.options.logger.error('replica reconciliation failed', {
          error: (error as Error).stack,
        });
      });
    return this.reconciling;
  }

  private async reconcileNow(state: MetadataState): Promise<void> {
    if (this.closed) return;
    for (const [groupId, replica] of this.replicas) {
      const record = state.partitionsByGroup.get(groupId);
      if (!record || !this.isAssignedHere(record))
        await this.removeReplica(replica, record === undefined);
    }
    for (const groupId of this.unopenable.keys()) {
      const record = state.partitionsByGroup.get(groupId);
      if (!record || !this.isAssignedHere(record)) this.unopenable.delete(groupId);
    }
    for (const topic of state.topics.values()) {
      for (const p of topic.partitions) {
        if (this.replicas.has(p.groupId) || !this.isAssignedHere(p)) continue;
        await this.createReplicaOrRecord(topic, p);
      }
    }
  }

  /**
   * One replica whose data cannot be opened (a damaged checkpoint or log) stays down, loudly;
   * it must not keep the node from hosting the others, whose data is intact.
   */
  private async createReplicaOrRecord(topic: TopicRecord, p: PartitionRecord): Promise<void> {
    try {
      try {
        await this.createReplica(topic, p);
      } catch (error) {
        if (!(await this.setAsideDamaged(p, error))) throw error;
        await this.createReplica(topic, p);
      }
      this.unopenable.delete(p.groupId);
    } catch (error) {
      const reason = `${p.topic}/${p.partition}: ${(error as Error).message}`;
      if (this.unopenable.get(p.groupId)?.reason !== reason)
        this.options.logger.error('partition replica could not be opened', {
          topic: p.topic,
          partition: p.partition,
          error: (error as Error).stack,
        });
      // Damaged data fences the replica by design; anything else is a fault to fix, not damage.
      this.unopenable.set(p.groupId, { reason, damaged: isDamage(error) });
    }
  }

  /**
   * A replica whose data is damaged (a corrupt checkpoint or log, a log shorter than what it
   * had made durable) but that has other replicas is rebuilt from them: its directory moves
   * to `<dataDir>/damaged/` (kept for inspection; delete it when done), and the replica
   * starts empty. Its Raft state is intact, so the Raft host restores it from the node's
   * own snapshot, which copies the records from the leader, then applies the log after it
   * (docs/operations.md). A single replica has nothing to rebuild from: it stays fenced.
   * Returns whether the data was set aside.
   */
  private async setAsideDamaged(p: PartitionRecord, error: unknown): Promise<boolean> {
    const damaged = isDamage(error);
    // Once per group and process: data damaged again right after a rebuild started is a
    // disk to replace, not something to set aside in a loop. While a reassignment is in
    // flight the replica list may not be the group's voters (shrinking to one, say): wait.
    const others = p.replicas.length >= 2 && !p.targetReplicas;
    if (!damaged || !others || this.setAside.has(p.groupId)) return false;
    const directory = this.directoryOf(p);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = join(this.options.dataDir, 'damaged', `${basename(directory)}-${stamp}`);
    try {
      await mkdir(join(this.options.dataDir, 'damaged'), { recursive: true });
      await rename(directory, aside);
    } catch (moveError) {
      this.options.logger.error('damaged partition data could not be set aside; it stays fenced', {
        topic: p.topic,
        partition: p.partition,
        error: String(moveError),
      });
      return false;
    }
    this.setAside.add(p.groupId);
    this.options.logger.error(
      'partition replica data damaged: set aside, rebuilding from the other replicas',
      {
        topic: p.topic,
        partition: p.partition,
        damage: (error as Error).message,
        setAsideTo: aside,
      },
    );
    return true;
  }

  private isAssignedHere(p: PartitionRecord): boolean {
    return (
      p.replicas.includes(this.options.nodeId) ||
      (p.targetReplicas?.includes(this.options.nodeId) ?? false)
    );
  }

  private async createReplica(topic: TopicRecord, p: PartitionRecord): Promise<void> {
    const directory = this.directoryOf(p);
    const log = await PartitionLog.open({
      directory,
      config: logConfigFor(topic.configs, this.options.messageBytesMax),
    });
    const checkpoint = await readApplyCheckpoint(directory).catch(async (error: unknown) => {
      await log.close();
      throw error;
    });
    if (log.logEndOffset < checkpoint.nextOffset) {
      await log.close();
      throw new ReplicaFencedError(
        `${p.topic}/${p.partition}: log ends at ${log.logEndOffset}, below its checkpoint ${checkpoint.nextOffset}`,
      );
    }
    if (log.logStartOffset > checkpoint.nextOffset) {
      // Cannot be cut back to its checkpoint: a copy from the leader that was cut short (the
      // copy removes the checkpoint, then writes records from the leader's log start) left
      // it without one. Found by review: it was never opened again.
      await log.close();
      throw new ReplicaFencedError(
        `${p.topic}/${p.partition}: log starts at ${log.logStartOffset}, past its checkpoint ${checkpoint.nextOffset}`,
      );
    }
    if (log.logEndOffset > checkpoint.nextOffset) await log.truncateTo(checkpoint.nextOffset);
    const replica = new PartitionReplica({
      topic: p.topic,
      partition: p.partition,
      groupId: p.groupId,
      nodeId: this.options.nodeId,
      directory,
      log,
      checkpoint,
      logger: this.options.logger,
      // A restoring replica never leads (its host takes no Ready of the group meanwhile), so
      // the leader read from is always another node.
      copySource: (r) => (offset, maxBytes) => {
        const leader = this.options.host.group(r.groupId)?.status().leader ?? 0;
        return this.options.readFromLeader(r, leader, offset, maxBytes);
      },
    });
    this.options.onReplicaCreated?.(replica);
    const group = this.options.host.createGroup(p.groupId, {
      stateMachine: replica,
      // Every replica, even one added later, starts from the group's first membership; the
      // log (or a snapshot) brings it to the current one.
      bootstrap: { voters: [...p.initialReplicas], outgoingVoters: [], learners: [] },
      applied: checkpoint.index,
    });
    replica.attach(group);
    this.replicas.set(p.groupId, replica);
    this.byName.set(`${p.topic}/${p.partition}`, replica);
    this.options.logger.info('partition replica started', {
      topic: p.topic,
      partition: p.partition,
      group: p.groupId,
      applied: checkpoint.index,
    });
  }

  private async removeReplica(replica: PartitionReplica, deleteData: boolean): Promise<void> {
    this.replicas.delete(replica.groupId);
    this.byName.delete(`${replica.topic}/${replica.partition}`);
    await this.options.host.removeGroup(replica.groupId);
    await replica.close();
    if (deleteData) await rm(replica.log.directory, { recursive: true, force: true });
    this.options.logger.info('partition replica removed', {
      topic: replica.topic,
      partition: replica.partition,
      deleteData,
    });
  }

  /** A topic's configuration changed: its local logs take the new settings. */
  reconfigure(topic: TopicRecord): void {
    const {
      segmentBytes,
      segmentMs,
      retentionMs,
      retentionBytes,
      cleanupPolicy,
      deleteRetentionMs,
    } = logConfigFor(topic.configs, this.options.messageBytesMax);
    for (const replica of this.replicas.values()) {
      if (replica.topic !== topic.name) continue;
      try {
        replica.log.reconfigure({
          segmentBytes,
          segmentMs,
          retentionMs,
          retentionBytes,
          cleanupPolicy,
          deleteRetentionMs,
        });
      } catch (error) {
        this.options.logger.error('topic configuration not applied', {
          topic: topic.name,
          error: (error as Error).message,
        });
      }
    }
  }

  /** Flushes each log, records its checkpoint, and lets its Raft log shrink behind it. */

  async checkpointAll(): Promise<void> {
    const pinning = new Set(this.options.host.groupsPinningOldestWalSegment());
    for (const replica of this.replicas.values()) {
      if (this.closed) return;
      try {
        const checkpoint = await replica.checkpoint();
        if (checkpoint)
          this.compactRaftLog(
            replica.groupId,
            checkpoint.index,
            encodeApplyCheckpoint(checkpoint),
            pinning.has(replica.groupId),
          );
      } catch (error) {
        this.options.logger.error('checkpoint failed', {
          topic: replica.topic,
          partition: replica.partition,
          error: (error as Error).message,
        });
      }
    }
  }

  /**
   * The snapshot kept in the Raft log's place is the apply checkpoint (offsets and producer
   * state), not the records: partition data lives in the partition log. Compaction stays
   * behind every replica's match by a margin, so no replica should need that snapshot.
   */
  private compactRaftLog(
    groupId: number,
    checkpointIndex: number,
    image: Uint8Array,
    pinsWal: boolean,
  ): void {
    const group = this.options.host.group(groupId);
    if (!group) return;
    const status = group.status();
    // Never compact what a replica may still need from the log: only behind every voter's match.
    const slowest =
      status.progress.length > 0
        ? Math.min(...status.progress.map((p) => p.match))
        : checkpointIndex;
    // The snapshot is exactly the checkpoint: its image describes the state at its index.
    // A group holding up the WAL's oldest segment is compacted regardless: a replica still
    // behind it then installs the snapshot (copying records from the leader).
    if (!pinsWal && checkpointIndex > slowest - this.options.raftLogRetainEntries) return;
    if (checkpointIndex >= status.firstIndex)
      this.options.host.compact(groupId, checkpointIndex, image);
  }

  async retentionPass(): Promise<void> {
    for (const replica of this.replicas.values()) {
      if (this.closed) return;
      try {
        await replica.log.applyRetention();
        if (replica.log.config.cleanupPolicy !== 'delete') await replica.log.compact();
      } catch (error) {
        this.options.logger.warn('retention pass failed', {
          topic: replica.topic,
          partition: replica.partition,
          error: (error as Error).message,
        });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reconciling;
    for (const replica of this.replicas.values()) {
      try {
        await replica.checkpoint();
      } catch {
        // a fenced replica has nothing to flush
      }
      // One replica that cannot close (its disk failed) must not skip closing the others.
      await replica.close().catch((error: unknown) =>
        this.options.logger.error('partition replica did not close cleanly', {
          topic: replica.topic,
          partition: replica.partition,
          error: (error as Error).message,
        }),
      );
    }
    this.replicas.clear();
    this.byName.clear();
  }
}

/** A replica's data found damaged (a corrupt checkpoint or log), not some other failure. */
function isDamage(error: unknown): boolean {
  return error instanceof ReplicaFencedError || error instanceof CorruptLogError;
}
