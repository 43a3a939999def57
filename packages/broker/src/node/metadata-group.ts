/**
 * Raft group 0, the metadata log, on this node: applies metadata records to the local
 * MetadataState, answers the controller's proposals with their apply results, and tells
 * the node what changed. It is also the controller's MetadataLog.
 */
import { ErrorCode, ProtocolError } from '@tributary/protocol';
import { type Entry, EntryType, Role, type Snapshot, type SoftState } from '@tributary/raft';
import type { MetadataLog } from '../controller/controller.ts';
import type { Logger } from '../logger.ts';
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from '../metadata/records.ts';
import { type ApplyResult, type MetadataChange, MetadataState } from '../metadata/state.ts';
import type { GroupStateMachine, ReplicaGroup } from '../replication/replica-group.ts';

export const metadataGroupId = 0;

interface ProposalWaiter {
  readonly term: number;
  resolve(result: ApplyResult): void;
  reject(error: unknown): void;
}

export class MetadataGroup implements GroupStateMachine, MetadataLog {
  state: MetadataState;
  private group: ReplicaGroup | undefined;
  private role: Role = Role.Follower;
  private leader = 0;
  private readonly waiters = new Map<number, ProposalWaiter>();
  /** Readers waiting for this node's copy to reach an index (see whenApplied). */
  private readonly appliedWaiters = new Set<() => void>();
  /** Reads that waited for this copy: it caught up, or they were answered stale (metrics). */
  readonly readWaits = { caughtUp: 0, stale: 0 };

  constructor(
    initial: MetadataState,
    private readonly logger: Logger,
    private readonly onChanges: (changes: MetadataChange[]) => void,
  ) {
    this.state = initial;
  }

  attach(group: ReplicaGroup): void {
    this.group = group;
  }

  isLeader(): boolean {
    return this.role === Role.Leader && this.group?.status().role === Role.Leader;
  }

  leaderId(): number {
    return this.leader > 0 ? this.leader : -1;
  }

  async apply(entries: readonly Entry[]): Promise<void> {
    const changes: MetadataChange[] = [];
    for (const entry of entries) {
      if (entry.index <= this.state.appliedIndex) continue;
      const waiter = this.waiters.get(entry.index);
      this.waiters.delete(entry.index);
      if (entry.type !== EntryType.Data) {
        this.state.appliedIndex = entry.index;
        waiter?.reject(new ProtocolError(ErrorCode.NotController, 'proposal replaced'));
        continue;
      }
      // A record that does not decode from a committed entry is corruption: throwing here
      // fences the metadata group on this node, loudly, instead of guessing.
      const record = decodeMetadataRecord(entry.data);
      const result = this.state.apply(entry.index, record, changes);
      if (!waiter) continue;
      if (waiter.term === entry.term) waiter.resolve(result);
      else
        waiter.reject(
          new ProtocolError(ErrorCode.NotController, 'leadership changed before commit'),
        );
    }
    if (changes.length > 0) this.onChanges(changes);
    this.wakeAppliedWaiters();
  }

  async restore(snapshot: Snapshot): Promise<void> {
    this.state = MetadataState.decodeSnapshot(snapshot.data);
    this.logger.info('metadata restored from snapshot', { index: snapshot.metadata.index });
    this.onChanges([]);
    this.wakeAppliedWaiters();
  }

  /**
   * Resolves true once this node's copy has applied `index`, or false after `timeoutMs`. A
   * client that has seen metadata up to some index (a topic it created) asks for at least
   * that much; a follower's copy usually trails the controller by a few milliseconds.
   */
  whenApplied(index: number, timeoutMs: number): Promise<boolean> {
    if (this.state.appliedIndex >= index) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (this.state.appliedIndex < index) return;
        finish(true);
      };
      const finish = (reached: boolean) => {
        if (reached) this.readWaits.caughtUp++;
        else this.readWaits.stale++;
        clearTimeout(timer);
        this.appliedWaiters.delete(check);
        resolve(reached);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.appliedWaiters.add(check);
    });
  }

  private wakeAppliedWaiters(): void {
    for (const check of this.appliedWaiters) check();
  }

  onSoftState(state: SoftState, _term: number): void {
    const wasLeader = this.role === Role.Leader;
    this.role = state.role;
    this.leader = state.leader;
    if (wasLeader && state.role !== Role.Leader) {
      const error = new ProtocolError(ErrorCode.NotController, 'lost metadata leadership');
      for (const waiter of this.waiters.values()) waiter.reject(error);
      this.waiters.clear();
    }
  }

  propose(record: MetadataRecord, timeoutMs: number): Promise<ApplyResult> {
    const group = this.group;
    if (!group || !this.isLeader())
      return Promise.reject(new ProtocolError(ErrorCode.NotController));
    const proposed = group.propose(encodeMetadataRecord(record));
    if (!proposed.ok)
      return Promise.reject(new ProtocolError(ErrorCode.NotController, proposed.error.message));
    return new Promise<ApplyResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(proposed.indexLast);
        resolve({
          ok: false,
          error: ErrorCode.RequestTimedOut,
          message: 'metadata change not applied in time; it may still be',
        });
      }, timeoutMs);
      this.waiters.set(proposed.indexLast, {
        term: proposed.term,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }
}
