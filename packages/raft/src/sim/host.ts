/**
 * One simulated server: a RawNode, its MemoryLog (the "disk"), and a state machine (the
 * list of applied proposal ids). It runs the Ready loop as a production host would, with
 * one twist: persistence may take simulated time. While a Ready is being persisted the node
 * keeps ticking and stepping, messages that need no fsync leave at once, and a crash in
 * that window loses the write, or keeps only a prefix of it (a torn write).
 *
 * Every effect is reported to the SafetyChecker.
 */
import { MemoryLog } from '../core/memory-log.ts';
import { SeededPrng } from '../core/prng.ts';
import { RawNode } from '../core/raw-node.ts';
import {
  type ConfigState,
  type CoreLogger,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  Role,
  type Snapshot,
} from '../core/types.ts';
import type { SafetyChecker } from './checker.ts';
import { dataText, decodeState, encodeState } from './entry-key.ts';

export interface SimRaftSettings {
  readonly group: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly inflightAppendsMax: number;
  readonly inflightBytesMax: number;
  readonly appendBytesMax: number;
  readonly snapshotChunkBytes: number;
  readonly learnerCatchUpLagMax: number;
  /**
   * Readies a node persists at once: 1 takes the next only once the last is durable; more
   * pipelines them, as the production host does (each completes no earlier than the last).
   */
  readonly pipelineDepth: number;
  readonly trace: boolean;
}

export const simRaftDefaults: SimRaftSettings = {
  group: 7,
  electionTicks: 10,
  heartbeatTicks: 2,
  preVote: true,
  checkQuorum: true,
  inflightAppendsMax: 8,
  inflightBytesMax: 4096,
  appendBytesMax: 64,
  snapshotChunkBytes: 64,
  learnerCatchUpLagMax: 4,
  pipelineDepth: 1,
  trace: false,
};

export interface HostOptions {
  readonly id: NodeId;
  readonly bootstrap: ConfigState;
  readonly settings: SimRaftSettings;
  readonly checker: SafetyChecker;
  readonly logger: CoreLogger;
  /** Seeds the node's election-timeout randomness (with its incarnation). */
  readonly seed: number;
  readonly send: (message: Message) => void;
}

interface PendingWrite {
  readonly ready: Ready;
  readonly completeAt: number;
}

export class SimHost {
  readonly id: NodeId;
  readonly log: MemoryLog;
  raw: RawNode | undefined;
  /** Proposal ids applied, in order, and the index applied up to. */
  appliedIds: string[] = [];
  appliedIndex = 0;
  /**
   * The "acknowledged state" a production log keeps apart from the log (raft-runtime.md):
   * the durable log's last index as of the last completed fsync (everything this node may
   * have acknowledged, or counted for itself as leader), and the voting fence, which
   * survives restarts until the log reaches it.
   */
  durableLastIndex = 0;
  fence = 0;
  incarnation = 0;
  /** Snapshots received from a leader and installed, over every incarnation. */
  snapshotsInstalled = 0;
  /** Readies being persisted, oldest first; they complete in this order. */
  private pending: PendingWrite[] = [];
  private lastHardState: HardState;
  private lastCommitSeen = 0;
  private readonly options: HostOptions;
  /** Called when this node applies an entry (the simulator acknowledges its clients). */
  onApplied: (host: SimHost, entry: Entry) => void = () => {};
  onReadState: (host: SimHost, requestId: number, index: number) => void = () => {};

  constructor(options: HostOptions) {
    this.options = options;
    this.id = options.id;
    this.log = new MemoryLog({ config: options.bootstrap });
    this.lastHardState = this.log.hardState();
    this.start(0);
  }

  get alive(): boolean {
    return this.raw !== undefined;
  }

  get node(): RawNode {
    if (this.raw === undefined) throw new Error(`simulator: node ${this.id} is down`);
    return this.raw;
  }

  /** (Re)starts the node from its durable log. */
  start(votingDisabledUntilIndex: number): void {
    const s = this.options.settings;
    this.incarnation++;
    const snapshot = this.log.snapshot();
    this.appliedIds = snapshot === undefined ? [] : decodeState(snapshot.data);
    this.appliedIndex = snapshot?.metadata.index ?? 0;
    this.lastCommitSeen = this.appliedIndex;
    this.raw = new RawNode({
      id: this.id,
      group: s.group,
      log: this.log,
      prng: new SeededPrng(this.options.seed * 7919 + this.id * 104_729 + this.incarnation),
      logger: this.options.logger,
      electionTicks: s.electionTicks,
      heartbeatTicks: s.heartbeatTicks,
      preVote: s.preVote,
      checkQuorum: s.checkQuorum,
      inflightAppendsMax: s.inflightAppendsMax,
      inflightBytesMax: s.inflightBytesMax,
      appendBytesMax: s.appendBytesMax,
      snapshotChunkBytes: s.snapshotChunkBytes,
      learnerCatchUpLagMax: s.learnerCatchUpLagMax,
      votingDisabledUntilIndex,
      trace: s.trace,
    });
  }

  /**
   * Crash: the process and everything volatile are gone. A write in flight is lost, or
   * only its first `tornPrefix` parts (snapshot, entries one by one, hard state) land.
   */
  crash(tornPrefix: number): void {
    // Only the oldest write can be torn: a later one is never durable before it.
    const pending = this.pending[0];
    this.pending = [];
    this.raw = undefined;
    if (pending === undefined || tornPrefix <= 0) return;
    const { ready } = pending;
    let budget = tornPrefix;
    if (ready.snapshot !== undefined) {
      this.persistSnapshot(ready.snapshot);
      budget--;
    }
    const entries = ready.entries.slice(0, Math.max(0, budget));
    this.persistEntries(entries);
    budget -= entries.length;
    if (budget > 0 && ready.hardState !== undefined && entries.length === ready.entries.length) {
      this.persistHardState(ready.hardState);
    }
  }

  /** Drains Ready batches; `persistDelay` ticks from now a write completes (0: at once). */
  process(now: number, persistDelay: () => number): void {
    const raw = this.raw;
    if (raw === undefined) return;
    for (let round = 0; round < 1000; round++) {
      this.observe();
      const oldest = this.pending[0];
      if (oldest !== undefined && oldest.completeAt <= now) {
        this.complete();
        continue;
      }
      if (this.pending.length < this.options.settings.pipelineDepth && raw.hasReady()) {
        const ready = raw.ready();
        for (const message of ready.messages) this.options.send(message);
        const last = this.pending[this.pending.length - 1];
        const completeAt = Math.max(now + persistDelay(), last?.completeAt ?? 0);
        this.pending.push({ ready, completeAt });
        continue;
      }
      if (this.pending.length === 0) return;
      for (const message of raw.takeMessages()) this.options.send(message);
      this.observe();
      return;
    }
    throw new Error(`simulator: node ${this.id} did not quiesce`);
  }

  private complete(): void {
    const pending = this.pending[0];
    const raw = this.raw;
    if (pending === undefined || raw === undefined) return;
    this.pending.shift();
    const { ready } = pending;
    if (ready.snapshot !== undefined) this.persistSnapshot(ready.snapshot);
    this.persistEntries(ready.entries);
    if (ready.hardState !== undefined) this.persistHardState(ready.hardState);
    this.recordDurable();
    for (const message of ready.messagesAfterPersist) this.options.send(message);
    if (ready.snapshot !== undefined) this.applySnapshot(ready);
    for (const entry of ready.committedEntries) this.apply(entry);
    for (const read of ready.readStates) this.onReadState(this, read.requestId, read.index);
    raw.advance();
  }

  private persistEntries(entries: readonly Entry[]): void {
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    this.log.append(entries);
    this.options.checker.onPersistEntries(this.id, entries, (index) => this.log.term(index));
  }

  /** After an fsync, before any acknowledgement leaves: record how far the log is durable. */
  private recordDurable(): void {
    this.durableLastIndex = this.log.lastIndex();
    if (this.fence > 0 && this.durableLastIndex >= this.fence) this.fence = 0;
  }

  /**
   * At a restart: the fence the durable log's recovery would set, `votingDisabledUntilIndex`
   * (a log that ends before its recorded last index lost entries it may have acknowledged;
   * an earlier fence not yet reached carries over).
   */
  recoveryFence(): number {
    const lost = this.log.lastIndex() < this.durableLastIndex ? this.durableLastIndex : 0;
    this.fence = Math.max(this.fence, lost);
    return this.fence;
  }

  /** Whether this node cannot vote now or will not be able to when it restarts. */
  fenced(): boolean {
    return this.fence > 0 || this.log.lastIndex() < this.durableLastIndex;
  }

  private persistHardState(state: HardState): void {
    this.options.checker.onHardState(this.id, this.lastHardState, state);
    this.lastHardState = state;
    this.log.setHardState(state);
  }

  private persistSnapshot(snapshot: Snapshot): void {
    this.log.applySnapshot(snapshot);
  }

  private applySnapshot(ready: Ready): void {
    const snapshot = ready.snapshot;
    if (snapshot === undefined) return;
    const ids = decodeState(snapshot.data);
    this.options.checker.onSnapshotApplied(this.id, snapshot.metadata.index, ids);
    this.snapshotsInstalled++;
    this.appliedIds = ids;
    this.appliedIndex = snapshot.metadata.index;
  }

  private apply(entry: Entry): void {
    this.options.checker.onApply(this.id, entry, this.appliedIndex);
    this.appliedIndex = entry.index;
    if (entry.type === EntryType.Data) this.appliedIds.push(dataText(entry.data));
    this.onApplied(this, entry);
  }

  /** Reports leadership and commit progress seen in the core to the checker. */
  observe(): void {
    const raw = this.raw;
    if (raw === undefined) return;
    const r = raw.raft;
    const checker = this.options.checker;
    if (r.role === Role.Leader) checker.onLeader(this.id, r.term, r);
    const commit = r.log.committed;
    if (commit > this.lastCommitSeen) {
      const from = Math.max(this.lastCommitSeen, r.log.firstIndex() - 1);
      checker.onCommit(
        this.id,
        from,
        commit,
        (index) => entryAt(raw, index),
        r.role === Role.Leader ? r.term : undefined,
      );
      this.lastCommitSeen = commit;
    }
  }

  /** Takes a snapshot at the applied index and compacts the log (as a host would). */
  compact(): boolean {
    const raw = this.raw;
    if (raw === undefined || this.pending.length > 0) return false;
    if (this.appliedIndex <= this.log.firstIndex() - 1) return false;
    const snapshot = raw.compact(this.appliedIndex, encodeState(this.appliedIds));
    if (snapshot instanceof Error) return false;
    this.log.compact(snapshot);
    return true;
  }

  /** Whether this node, in its own view, is a member of the group. */
  isMember(): boolean {
    const config = this.raw?.raft.config;
    if (config === undefined) return false;
    return [...config.voters, ...config.outgoingVoters, ...config.learners].includes(this.id);
  }
}

function entryAt(raw: RawNode, index: number): Entry | undefined {
  const log = raw.raft.log;
  if (index < log.firstIndex() || index > log.lastIndex()) return undefined;
  return log.entries(index, index + 1, Number.MAX_SAFE_INTEGER)[0];
}
