/**
 * The multi-raft host: every Raft group of this node, driven by one timer and one
 * processing loop, persisted through one shared WAL, talking over one transport.
 *
 * A processing cycle takes a Ready from every group that has one and does, for all of them
 * together: send the messages that may leave at once; stage snapshots, entries and hard
 * states in the WAL; start applying committed entries (they are durable on a quorum, so
 * this overlaps the sync); one `wal.sync()` (one fdatasync for every group: group commit);
 * send the messages that had to wait for it (votes, append acknowledgements); advance
 * each group once its applying is done.
 *
 * Cycles are pipelined (as etcd's asynchronous storage writes are): a new cycle starts on
 * the next turn of the event loop after anything arrives, while earlier cycles still wait
 * on the disk, so an append a follower receives is staged at once (into the WAL's next
 * flush) and a commit a leader learns is applied at once, instead of each waiting for the
 * sync in flight to end first. What keeps it safe: the WAL makes flushes durable in order;
 * a cycle's acknowledgements leave only after its own sync, or, when it staged nothing
 * that needs one, after the latest sync any cycle asked for; each group applies and
 * advances its Readies in the order it took them.
 */
import type { RawNodeOptions } from '../core/options.ts';
import { SeededPrng } from '../core/prng.ts';
import { RawNode } from '../core/raw-node.ts';
import {
  type ConfigState,
  type CoreLogger,
  EntryType,
  type GroupId,
  type Message,
  MessageType,
  type NodeId,
  type Ready,
  type Snapshot,
} from '../core/types.ts';
import type { GroupStorage } from '../durable/group-storage.ts';
import type { RaftWal } from '../durable/wal.ts';
import { type GroupStateMachine, HostedGroup } from './hosted-group.ts';

/**
 * Cycles that may wait on the disk at once. The WAL writes one flush and holds one more
 * pending, so every cycle past the first two joins the pending flush; more than a few
 * would only mean a stalled disk. At the bound, leaders' new appends still leave once per
 * turn (early sends) and the rest waits for a cycle to end.
 */
export const cyclesInFlightMax = 8;

export interface HostTransport {
  send(messages: readonly Message[]): void;
}

export interface HostLogger extends CoreLogger {
  error(event: string, fields: Record<string, unknown>): void;
}

export interface RaftHostOptions {
  readonly nodeId: NodeId;
  readonly wal: RaftWal;
  readonly transport: HostTransport;
  readonly logger: HostLogger;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Seeds election timeouts; give real entropy in production, a fixed seed in tests. */
  readonly seed: number;
  /** Told how long each WAL sync took, in seconds (for fsync latency metrics). */
  readonly observeSync?: (seconds: number) => void;
  /** Overrides passed to every RawNode (flow-control limits and the like). */
  readonly raftOverrides?: Partial<RawNodeOptions>;
}

export interface CreateGroupOptions {
  readonly stateMachine: GroupStateMachine;
  /** The membership to start with when the group has no state on disk yet. */
  readonly bootstrap?: ConfigState;
  /** Everything up to this index is already applied (from the state machine's checkpoint). */
  readonly applied?: number;
}

export interface HostStats {
  readonly groups: number;
  readonly cycles: number;
  readonly syncs: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly messagesForUnknownGroups: number;
  /** Append responses received that refused the append (a follower lacked entries). */
  readonly appendRejectionsReceived: number;
  /** Messages of groups restoring a snapshot, dropped unsent (HostedGroup.restoring). */
  readonly messagesDroppedWhileRestoring: number;
}

interface Taken {
  readonly group: HostedGroup;
  readonly ready: Ready;
}

/**
 * Whether a Ready's writes must be durable before anything depends on them. A hard state
 * that only moves the commit index need not be: it is rewritten by later syncs, and after
 * a crash the commit index is re-learned from the leader (a state machine ahead of it
 * skips entries it already applied). This saves one fdatasync per commit at low load.
 */
function needsSync(group: HostedGroup, ready: Ready): boolean {
  if (ready.snapshot || ready.entries.length > 0) return true;
  const hard = ready.hardState;
  if (!hard) return false;
  const previous = group.lastStagedHardState;
  const commitOnly =
    previous !== undefined && hard.term === previous.term && hard.vote === previous.vote;
  group.lastStagedHardState = hard;
  return !commitOnly;
}

function mayChangeConfig(ready: Ready): boolean {
  if (ready.snapshot) return true;
  for (const entry of ready.committedEntries) if (entry.type === EntryType.Config) return true;
  return false;
}

export class RaftHost {
  private readonly groups = new Map<GroupId, HostedGroup>();
  private readonly dirty = new Set<HostedGroup>();
  /** Groups still applying a Ready whose persistence is done. */
  private readonly applying = new Set<Promise<void>>();
  private cyclesInFlight = 0;
  private cycleScheduled = false;
  /** The latest sync any cycle asked for: a cycle that stages nothing durable waits on it. */
  private lastSync: Promise<void> = Promise.resolve();
  /**
   * Something was staged outside a Ready (a compaction, a membership record): the next
   * cycle syncs even if no group has a Ready. Nothing else would make it durable on an
   * idle node, and a compaction frees WAL segments only once it is durable.
   */
  private syncWanted = false;
  /** Groups with messages to send early (while cycles are at their bound), sent once a turn. */
  private readonly earlySenders = new Set<HostedGroup>();
  private earlySendScheduled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly prng: SeededPrng;
  private closed = false;
  private failure: Error | undefined;
  private readonly counters = {
    cycles: 0,
    syncs: 0,
    messagesSent: 0,
    messagesReceived: 0,
    messagesForUnknownGroups: 0,
    appendRejectionsReceived: 0,
    messagesDroppedWhileRestoring: 0,
  };

  constructor(private readonly options: RaftHostOptions) {
    this.prng = new SeededPrng(options.seed);
    this.timer = setInterval(() => this.tickAll(), options.tickMs);
  }

  get nodeId(): NodeId {
    return this.options.nodeId;
  }

  group(id: GroupId): HostedGroup | undefined {
    return this.groups.get(id);
  }

  groupIds(): GroupId[] {
    return [...this.groups.keys()];
  }

  createGroup(id: GroupId, options: CreateGroupOptions): HostedGroup {
    if (this.failure) throw this.failure;
    const existing = this.groups.get(id);
    if (existing) return existing;
    const storage = this.options.wal.group(id);
    if (storage.fault) throw storage.fault;
    this.completeInterruptedCompaction(storage);
    const initial = storage.initialState();
    const local = storage.snapshot();
    // The state machine lost state this node's Raft log no longer holds (its data was
    // damaged and set aside, or removed): it restarts from the node's own snapshot.
    const restoreLocal =
      options.applied !== undefined && local !== undefined && options.applied < local.metadata.index
        ? local
        : undefined;
    if (options.bootstrap && initial.config.voters.length === 0 && storage.lastIndex() === 0) {
      storage.stage({ config: options.bootstrap });
    }
    const node = new RawNode({
      id: this.options.nodeId,
      group: id,
      log: storage,
      prng: new SeededPrng(this.prng.nextInt(2 ** 31) ^ id),
      logger: this.options.logger,
      electionTicks: this.options.electionTicks,
      heartbeatTicks: this.options.heartbeatTicks,
      preVote: true,
      checkQuorum: true,
      votingDisabledUntilIndex: storage.votingDisabledUntilIndex,
      // The state machine may be ahead of the durable commit index (see needsSync): the
      // core starts from the commit it knows and the state machine skips what it applied.
      ...(options.applied === undefined
        ? {}
        : {
            applied: Math.min(
              restoreLocal?.metadata.index ?? options.applied,
              Math.max(initial.hardState.commit, storage.firstIndex() - 1),
            ),
          }),
      ...this.options.raftOverrides,
    });
    const group = new HostedGroup(
      node,
      storage,
      options.stateMachine,
      (g) => this.markDirty(g),
      (g, error, during) => this.fenceGroup(g, error, during),
    );
    this.groups.set(id, group);
    if (restoreLocal) this.restoreFromLocalSnapshot(group, restoreLocal, options.applied ?? 0);
    this.markDirty(group);
    return group;
  }

  /**
   * Before anything else is applied, the state machine restores the node's own snapshot, as
   * a follower installs a leader's; the entries after it follow from the log. Before this,
   * a state machine behind the local snapshot (a partition whose damaged data was set aside)
   * made the core refuse to start the group. A restore that fails fences the group.
   */
  private restoreFromLocalSnapshot(group: HostedGroup, snapshot: Snapshot, applied: number): void {
    this.options.logger.warn('raft group: state machine behind the local snapshot; restoring it', {
      group: group.id,
      applied,
      snapshotIndex: snapshot.metadata.index,
    });
    // No Ready is taken meanwhile (takeReadies): a long restore (records copied from the
    // leader) must not let Readies pile up to the core's bound, and this replica must not
    // acknowledge, vote or lead before its state exists. The leader sees it as inactive.
    group.restoringLocal = true;
    const restored = group.stateMachine.restore(snapshot).then(
      () => {
        group.restoringLocal = false;
        if (!group.removed && !group.fault) this.markDirty(group);
      },
      (error: unknown) => {
        if (!group.removed) this.fenceGroup(group, error as Error, 'restoring its local snapshot');
      },
    );
    group.applyTail = restored;
    this.track(restored);
  }

  /**
   * `compact` stages a snapshot, then the compaction, in one WAL batch; power lost while that
   * batch was written can keep the snapshot and tear off the compaction (found by the
   * power-loss test). The log then starts below its snapshot, which the core refuses. The
   * snapshot covers every entry up to its index, so the compaction is completed here, and
   * made durable by the next cycle's sync.
   */
  private completeInterruptedCompaction(storage: GroupStorage): void {
    const snapshot = storage.snapshot()?.metadata;
    if (snapshot === undefined || snapshot.index < storage.firstIndex()) return;
    storage.compact(snapshot.index);
    this.syncWanted = true;
    this.options.logger.warn('raft group: completed a compaction interrupted by a crash', {
      group: storage.id,
      index: snapshot.index,
    });
  }

  /** Stops the group and removes its durable state (after the next sync). */
  async removeGroup(id: GroupId): Promise<void> {
    const group = this.groups.get(id);
    if (!group) return;
    this.groups.delete(id);
    this.dirty.delete(group);
    group.stop(new Error(`group ${id} removed`));
    this.options.wal.removeGroup(id);
    await this.options.wal.sync();
  }

  /**
   * The layer above took a snapshot of its state at `index` (applied): keep it durably and
   * drop the Raft log up to it. Returns false when the core refuses (not applied yet, or a
   * snapshot is being installed); the caller tries again later.
   */
  compact(id: GroupId, index: number, data: Uint8Array): boolean {
    const group = this.groups.get(id);
    if (!group || group.removed || group.fault) return false;
    const snapshot = group.node.compact(index, data);
    if (snapshot instanceof Error) return false;
    group.storage.saveSnapshot(snapshot);
    group.storage.compact(index);
    this.syncWanted = true;
    this.markDirty(group);
    return true;
  }

  /**
   * Groups whose entries keep the WAL's oldest segment alive (only entries pin: state
   * records are re-logged). They should be compacted, idle or not, or the WAL keeps growing.
   */
  groupsPinningOldestWalSegment(): GroupId[] {
    if (this.options.wal.stats().segments < 2) return [];
    return this.options.wal.groupsPinningOldestSegment();
  }

  /** Messages from a peer, already shape-checked by the transport. */

  receive(messages: readonly Message[]): void {
    for (const message of messages) {
      this.counters.messagesReceived++;
      const group = this.groups.get(message.group);
      if (!group || group.removed || group.fault) {
        this.counters.messagesForUnknownGroups++;
        continue;
      }
      if (message.type === MessageType.AppendResponse && !message.success)
        this.counters.appendRejectionsReceived++;
      try {
        group.node.step(message);
        if (group.restoring) this.dropMessages(group);
      } catch (error) {
        this.fenceGroup(group, error as Error, 'step');
        continue;
      }
      this.markDirty(group);
    }
  }

  /** A restoring group sends nothing (see HostedGroup.restoring). */
  private dropMessages(group: HostedGroup): void {
    this.counters.messagesDroppedWhileRestoring += group.node.discardMessages();
  }

  private tickAll(): void {
    if (this.closed) return;
    for (const group of this.groups.values()) {
      if (group.fault) continue;
      try {
        group.node.tick();
        if (group.restoring) this.dropMessages(group);
      } catch (error) {
        this.fenceGroup(group, error as Error, 'tick');
        continue;
      }
      this.markDirty(group);
    }
  }

  private markDirty(group: HostedGroup): void {
    this.dirty.add(group);
    if (this.cyclesInFlight >= cyclesInFlightMax) this.queueEarlySend(group);
    this.scheduleCycle();
  }

  /**
   * While cycles are at their bound, leaders' new appends may leave at once: once per turn
   * of the event loop, so everything proposed or received in one turn leaves in one Append
   * per follower (taking messages after every proposal would send one Append per entry).
   */
  private queueEarlySend(group: HostedGroup): void {
    this.earlySenders.add(group);
    if (this.earlySendScheduled) return;
    this.earlySendScheduled = true;
    setImmediate(() => {
      this.earlySendScheduled = false;
      const groups = [...this.earlySenders];
      this.earlySenders.clear();
      if (this.closed) return;
      for (const g of groups) if (!g.removed && !g.fault && !g.restoring) this.sendEarly(g);
    });
  }

  private sendEarly(group: HostedGroup): void {
    let messages: readonly Message[];
    try {
      messages = group.node.takeMessages();
    } catch (error) {
      this.fenceGroup(group, error as Error, 'send');
      return;
    }
    if (messages.length > 0) this.send(messages);
  }

  /**
   * What a call into one group's core throws (its storage could not read an entry, which
   * the WAL has fenced already, or a broken invariant) fences that group, loudly, and spares
   * the others: it must never escape a timer or a socket callback and take the whole node
   * down. The calls catch inline (tick, step, ready, send, finish): no closure per group
   * and per message on the hot path.
   */
  private fenceGroup(group: HostedGroup, error: Error, during: string): void {
    if (group.fault) return;
    group.fault = error;
    this.dirty.delete(group);
    group.stop(error);
    this.options.logger.error(`raft group fenced: ${during} failed`, {
      group: group.id,
      error: error.stack ?? String(error),
    });
  }

  private scheduleCycle(): void {
    if (this.cycleScheduled || this.closed || this.failure) return;
    if (this.cyclesInFlight >= cyclesInFlightMax) return;
    this.cycleScheduled = true;
    setImmediate(() => {
      this.cycleScheduled = false;
      void this.runCycle();
    });
  }

  private send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    this.counters.messagesSent += messages.length;
    this.options.transport.send(messages);
  }

  private async runCycle(): Promise<void> {
    if (this.closed) return;
    this.cyclesInFlight++;
    try {
      const taken = this.takeReadies();
      const syncWanted = this.syncWanted;
      this.syncWanted = false;
      if (taken.length > 0 || syncWanted) await this.process(taken, syncWanted);
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.cyclesInFlight--;
    }
    if (this.dirty.size > 0) this.scheduleCycle();
  }

  private takeReadies(): Taken[] {
    const taken: Taken[] = [];
    for (const group of this.dirty) {
      if (group.removed || group.fault || group.restoringLocal) continue;
      try {
        if (group.node.hasReady()) taken.push({ group, ready: group.node.ready() });
      } catch (error) {
        this.fenceGroup(group, error as Error, 'ready');
      }
    }
    this.dirty.clear();
    return taken;
  }

  private async process(taken: Taken[], syncWanted: boolean): Promise<void> {
    this.counters.cycles++;
    for (const { ready } of taken) this.send(ready.messages);
    let mustSync = syncWanted;
    for (const { group, ready } of taken) {
      if (ready.snapshot || ready.entries.length > 0 || ready.hardState) {
        group.storage.stage({
          snapshot: ready.snapshot,
          entries: ready.entries,
          hardState: ready.hardState,
        });
        mustSync ||= needsSync(group, ready);
      }
    }
    const applied = this.applyCommittedWhileSyncing(taken);
    let persisted: Promise<void> | undefined;
    if (mustSync) {
      this.counters.syncs++;
      const started = performance.now();
      const sync = this.options.wal.sync();
      this.lastSync = sync;
      persisted = sync.then(() => this.options.observeSync?.((performance.now() - started) / 1000));
    } else if (taken.some((t) => t.ready.messagesAfterPersist.length > 0)) {
      // Nothing of ours to sync, but an acknowledgement may rest on an earlier cycle's
      // writes (entries staged a turn ago, still in flight): flushes end in order, so
      // waiting for the latest one asked for covers them all.
      persisted = this.lastSync;
    }
    this.chainFinishes(taken, applied, persisted);
    if (persisted !== undefined) await persisted;
    for (const { ready } of taken) this.send(ready.messagesAfterPersist);
  }

  /**
   * Each group applies and advances on its own: a slow state machine (a snapshot being
   * installed, a full disk buffer) holds up only its own group, never the next cycle.
   *
   * A group's Readies advance in the order they were taken, each once its cycle's writes
   * are durable, so the finishes are chained here, when the Readies were taken, not after
   * the sync. `advance()` takes the core's oldest outstanding Ready: a later Ready needing
   * no sync (heartbeats, a read) that finished while an earlier one's sync was in flight
   * marked the earlier one's entries persisted, and a leader then counted its own unwritten
   * copy towards a commit (found when a CI run saw an entry cache that never emptied).
   */
  private chainFinishes(
    taken: Taken[],
    applied: Map<Taken, Promise<void>>,
    persisted: Promise<void> | undefined,
  ): void {
    // A failed sync fails the host (runCycle); nothing of that cycle may advance.
    const durable = persisted?.then(
      () => true,
      () => false,
    );
    for (const t of taken) {
      const finished = t.group.finishTail.then(async () => {
        if (durable !== undefined && !(await durable)) return;
        await this.finish(t, applied.get(t)).catch((error: unknown) =>
          this.fenceGroup(t.group, error as Error, 'finishing a ready'),
        );
      });
      t.group.finishTail = finished;
      this.track(finished);
    }
  }

  /**
   * Committed entries are durable on a quorum already (a leader counts its own copy only
   * once synced, a follower learns a commit index only for entries matching the leader's
   * log), so applying them need not wait for this node's own sync: it overlaps it, which
   * takes one sync out of the commit latency. Nothing is acknowledged early: votes and
   * append acknowledgements still leave only after the sync, and `advance()` waits for
   * both. A snapshot to install waits for its own persistence, as before.
   */
  private applyCommittedWhileSyncing(taken: Taken[]): Map<Taken, Promise<void>> {
    const applied = new Map<Taken, Promise<void>>();
    for (const t of taken) {
      if (t.ready.snapshot !== undefined) continue;
      applied.set(t, this.applyInOrder(t));
    }
    return applied;
  }

  /** Applies after the group's earlier Readies: a state machine sees one apply at a time. */
  private applyInOrder(taken: Taken): Promise<void> {
    const { group } = taken;
    const work = group.applyTail.then(() => this.applyReady(taken));
    group.applyTail = work;
    this.track(work);
    return work;
  }

  private track(work: Promise<void>): void {
    this.applying.add(work);
    void work.finally(() => this.applying.delete(work));
  }

  private async finish(taken: Taken, applied: Promise<void> | undefined): Promise<void> {
    const { group } = taken;
    await (applied ?? this.applyInOrder(taken));
    if (group.removed || group.fault || this.closed) return;
    group.node.advance();
    // Only an applied config entry or an installed snapshot changes the membership; asking
    // the core's full status after every Ready would cost more than the rest of finishing.
    const config = mayChangeConfig(taken.ready) ? group.configToStage() : undefined;
    if (config) {
      group.storage.stage({ config });
      this.syncWanted = true;
      this.markDirty(group);
    }
    if (group.node.hasReady()) this.markDirty(group);
    group.releaseSettledEntries();
    group.checkWaiters();
  }

  private async applyReady({ group, ready }: Taken): Promise<void> {
    // A fenced group's state machine may be half restored or half applied: nothing more.
    if (group.fault || group.removed) return;
    try {
      if (ready.softState)
        group.stateMachine.onSoftState(ready.softState, group.node.status().term);
      if (ready.snapshot) {
        group.restoringSnapshot = true;
        try {
          await group.stateMachine.restore(ready.snapshot);
        } finally {
          group.restoringSnapshot = false;
        }
      }
      if (ready.committedEntries.length > 0) await group.stateMachine.apply(ready.committedEntries);
      for (const read of ready.readStates) group.resolveRead(read.requestId, read.index);
    } catch (error) {
      // The state machine could not apply: fence this group, loudly, and keep the others.
      this.fenceGroup(group, error as Error, 'its state machine');
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.options.logger.error('raft host stopped: storage failed', {
      error: error.stack ?? String(error),
    });
    for (const group of this.groups.values()) group.stop(error);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  stats(): HostStats {
    return { groups: this.groups.size, ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    while (this.cyclesInFlight > 0) await new Promise((resolve) => setImmediate(resolve));
    await Promise.allSettled([...this.applying]);
    for (const group of this.groups.values()) group.stop(new Error('host closed'));
  }
}
