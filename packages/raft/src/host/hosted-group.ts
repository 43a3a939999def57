/**
 * One Raft group as the host runs it: the RawNode, its durable storage, the state machine
 * it feeds, and the waiters of the layer above (proposals waiting for persistence,
 * replication or reads). The host drives it; the layer above holds it through the narrow
 * handle the broker sees (propose, status, waitUntil, …).
 */
import type { ConfigChange } from '../core/config-change.ts';
import { configsEqual } from '../core/config-change.ts';
import { RaftError } from '../core/errors.ts';
import type { ConfigProposalResult } from '../core/membership.ts';
import type { ProposeResult } from '../core/proposal.ts';
import type { RawNode } from '../core/raw-node.ts';
import type { RaftStatus } from '../core/status.ts';
import {
  type ConfigState,
  type Entry,
  type HardState,
  Role,
  type Snapshot,
  type SoftState,
} from '../core/types.ts';
import type { GroupStorage } from '../durable/group-storage.ts';

/** What the host calls, in log order, on the layer above. */
export interface GroupStateMachine {
  /** Applies committed entries (all types, in order); the host waits before advancing. */
  apply(entries: readonly Entry[]): Promise<void>;
  /** Replaces the state with a snapshot received from the leader. */
  restore(snapshot: Snapshot): Promise<void>;
  /** This replica's role or the known leader changed. */
  onSoftState(state: SoftState, term: number): void;
}

interface Waiter {
  readonly condition: (status: RaftStatus) => boolean;
  resolve(met: boolean): void;
}

interface ReadWaiter {
  resolve(index: number): void;
  reject(error: unknown): void;
}

export class HostedGroup {
  readonly id: number;
  private readonly waiters = new Set<Waiter>();
  private readonly reads = new Map<number, ReadWaiter>();
  private nextReadId = 1;
  private stagedConfig: ConfigState;
  removed = false;
  /** The hard state last staged (a commit-only change is staged without a sync of its own). */
  lastStagedHardState: HardState | undefined;
  /** Set when the group's storage failed; it is fenced and processes nothing more. */
  fault: Error | undefined;
  /**
   * The state machine is restoring the node's own snapshot (see RaftHost.createGroup): no
   * Ready is taken until it ends, so nothing is sent, voted or acknowledged meanwhile and
   * Readies cannot pile up behind it.
   */
  restoringLocal = false;
  /** The state machine is installing a snapshot a leader sent (applyReady). */
  restoringSnapshot = false;
  /**
   * While its state machine restores a snapshot the group sends nothing: messages its core
   * makes meanwhile (answers to heartbeats, campaigns) are dropped, as a network may drop
   * any. A restore can last as long as its records take to copy, and they would otherwise
   * pile up in the core and leave in one stale burst at the end.
   */
  get restoring(): boolean {
    return this.restoringLocal || this.restoringSnapshot;
  }

  /** The group's last apply started: the next starts after it (one apply at a time, in order). */
  applyTail: Promise<void> = Promise.resolve();
  /** The group's last Ready to finish: Readies advance in the order they were taken. */
  finishTail: Promise<void> = Promise.resolve();
  /** Entries up to here were released from the WAL's entry cache (releaseSettledEntries). */
  private cacheReleasedThrough = 0;

  constructor(
    readonly node: RawNode,
    readonly storage: GroupStorage,
    readonly stateMachine: GroupStateMachine,
    private readonly markDirty: (group: HostedGroup) => void,
    private readonly fenceInHost: (group: HostedGroup, error: Error, during: string) => void,
  ) {
    this.id = storage.id;
    this.stagedConfig = storage.initialState().config;
  }

  propose(data: Uint8Array | readonly Uint8Array[]): ProposeResult {
    const stopped = this.stoppedError();
    if (stopped) return { ok: false, error: stopped };
    const result = this.guarded('propose', () => this.node.propose(data));
    if (result instanceof RaftError) return { ok: false, error: result };
    if (result.ok) this.markDirty(this);
    return result;
  }

  proposeConfigChange(change: ConfigChange): ConfigProposalResult {
    const stopped = this.stoppedError();
    if (stopped) return { ok: false, error: stopped };
    const result = this.guarded('a configuration change', () =>
      this.node.proposeConfigChange(change),
    );
    if (result instanceof RaftError) return { ok: false, error: result };
    this.markDirty(this);
    return result;
  }

  transferLeadership(to: number): RaftError | undefined {
    const stopped = this.stoppedError();
    if (stopped) return stopped;
    const error = this.guarded('a leadership transfer', () => this.node.transferLeadership(to));
    this.markDirty(this);
    return error;
  }

  /**
   * Takes this replica out of its group for good (until the node restarts): it no longer
   * leads, votes or acknowledges, so the other replicas carry on without it. For the layer
   * above when the state it applies to can no longer be trusted (its own storage failed).
   */
  fence(error: Error): void {
    this.fenceInHost(this, error, 'its state machine');
  }

  private stoppedError(): RaftError | undefined {
    if (!this.fault && !this.removed) return undefined;
    const why = this.fault ? `fenced: ${this.fault.message}` : 'removed';
    return new RaftError('not-leader', `group ${this.id} is stopped (${why})`);
  }

  /** A call into the core that throws (a log read the disk refused) fences the group. */
  private guarded<T>(during: string, call: () => T): T | RaftError {
    try {
      return call();
    } catch (error) {
      this.fenceInHost(this, error as Error, during);
      return this.stoppedError() as RaftError;
    }
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** Resolves with an index that is safe to read at once it is applied (read index). */
  readIndex(timeoutMs: number): Promise<number> {
    const requestId = this.nextReadId++;
    const stopped = this.stoppedError();
    if (stopped) return Promise.reject(stopped);
    const error = this.guarded('a read index', () => this.node.readIndex(requestId));
    if (error) return Promise.reject(error);
    this.markDirty(this);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(requestId);
        reject(new RaftError('no-leader', `read index not confirmed within ${timeoutMs} ms`));
      }, timeoutMs);
      this.reads.set(requestId, {
        resolve: (index) => {
          clearTimeout(timer);
          resolve(index);
        },
        reject: (cause) => {
          clearTimeout(timer);
          reject(cause);
        },
      });
    });
  }

  resolveRead(requestId: number, index: number): void {
    this.reads.get(requestId)?.resolve(index);
    this.reads.delete(requestId);
  }

  waitUntil(
    condition: (status: RaftStatus) => boolean,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<boolean> {
    if (condition(this.node.status())) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (met: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        options.signal?.removeEventListener('abort', abort);
        resolve(met);
      };
      const waiter: Waiter = { condition, resolve: finish };
      const abort = () => finish(false);
      const timer = setTimeout(() => finish(false), options.timeoutMs);
      this.waiters.add(waiter);
      options.signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Re-checks every waiter; called after each time the host processed this group. */
  checkWaiters(): void {
    if (this.waiters.size === 0) return;
    const status = this.node.status();
    for (const waiter of [...this.waiters]) if (waiter.condition(status)) waiter.resolve(true);
  }

  /**
   * Lets the WAL's entry cache drop what this replica will not read again soon: entries
   * applied here and, on a leader, held by every member (a follower falling behind later
   * is served from disk). Called after each advance.
   */
  releaseSettledEntries(): void {
    const raft = this.node.raft;
    let settled = raft.log.applied;
    if (raft.role === Role.Leader) {
      for (const progress of raft.progress.values()) settled = Math.min(settled, progress.match);
    }
    if (settled <= this.cacheReleasedThrough) return;
    // Only entries whose records are written can leave, so only what was released counts
    // and the next advance (a heartbeat's at the latest) tries again. Counting `settled`
    // left an idle group's last entries cached for good when some were not written yet
    // (which an out-of-order advance allowed until the host chained finishes in order).
    this.cacheReleasedThrough = this.storage.releaseCachedThrough(settled);
  }

  /** The membership changed since it was last staged: stage it so a restart knows it. */
  configToStage(): ConfigState | undefined {
    const config = this.node.status().config;
    if (configsEqual(config, this.stagedConfig)) return undefined;
    this.stagedConfig = config;
    return config;
  }

  stop(reason: Error): void {
    this.removed = true;
    for (const waiter of [...this.waiters]) waiter.resolve(false);
    for (const read of this.reads.values()) read.reject(reason);
    this.reads.clear();
  }
}
