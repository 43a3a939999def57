/**
 * The host's handle on one replica: a synchronous, pure Raft node in the shape of etcd's
 * RawNode. The host drives it with `tick()`, `step(message)` and proposals, and collects
 * the effects as a Ready:
 *
 *   while (node.hasReady()) {
 *     const rd = node.ready();
 *     persist rd.snapshot, rd.entries, rd.hardState; fsync;     // 1
 *     send rd.messages (may go before 1) and rd.messagesAfterPersist;  // 2
 *     apply rd.snapshot, then rd.committedEntries;               // 3
 *     node.advance();                                             // 4
 *   }
 *
 * Between `ready()` and `advance()` the host may keep stepping messages and ticking (for
 * example while an fsync is in flight), and may take further Readies (pipelining, as etcd's
 * asynchronous storage writes do): each carries only what no earlier one does (entries
 * not yet in progress, committed entries not yet handed out). The host must then persist
 * them in order (a later Ready's writes never durable before an earlier one's), send a
 * Ready's `messagesAfterPersist` only once it and every earlier Ready are durable, apply
 * committed entries in order, and advance the Readies in the order it took them.
 * A snapshot to install is never pipelined: it is handed out only when no Ready is
 * outstanding, and nothing more is until it is advanced.
 * `takeMessages()` hands out messages that need no fsync at any time, so a host with slow
 * disks need not hold them back.
 */
import { assert, RaftInvariantError } from './assert.ts';
import type { ConfigChange } from './config-change.ts';
import { InvalidMessageError, RaftError } from './errors.ts';
import {
  applyConfigEntry,
  type ConfigProposalResult,
  configAt,
  maybeLeaveJoint,
  proposeConfigChange,
  trimConfigHistory,
} from './membership.ts';
import type { RawNodeOptions } from './options.ts';
import { type ProposeResult, propose } from './proposal.ts';
import { Raft } from './raft.ts';
import { forwardRead, handleReadIndexRequest } from './read-index.ts';
import { maybeCommit } from './replication.ts';
import { type RaftStatus, raftStatus } from './status.ts';
import { transferLeadership } from './transfer.ts';
import {
  type Entry,
  EntryType,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  Role,
  type Snapshot,
  type SoftState,
} from './types.ts';
import { validateMessage } from './validate-message.ts';

/**
 * Readies a host may hold taken and not advanced at once. A pipelining host takes about
 * one per turn of its event loop while a sync is in flight; far more means it stopped
 * advancing (a bug), and the bound keeps that from growing memory without end.
 */
export const readiesOutstandingMax = 1024;

export class RawNode {
  /** The state machine itself; for tests and the simulator (internal API). */
  readonly raft: Raft;
  private previousSoft: SoftState;
  private previousHard: HardState;
  /** Readies taken and not yet advanced, oldest first. */
  private readonly outstanding: Ready[] = [];
  /** An outstanding Ready carries a snapshot: nothing more until it is advanced. */
  private snapshotOutstanding = false;

  constructor(options: RawNodeOptions) {
    this.raft = new Raft(options);
    this.previousSoft = this.raft.softState();
    // The hard state as it is on disk: if the core changed it at start (a commit index past
    // a truncated log), the first Ready persists the corrected one.
    this.previousHard = options.log.initialState().hardState;
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    try {
      this.raft.tick();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Steps a message from the network. Never throws on bad input: it is counted and logged. */
  step(message: unknown): void {
    const valid = validateMessage(message);
    if (valid instanceof InvalidMessageError) {
      this.raft.rejectInvalid(valid, message);
      return;
    }
    try {
      this.raft.step(valid);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Proposes one entry, or many as one batch (one append carries them all). */
  propose(data: Uint8Array | readonly Uint8Array[]): ProposeResult {
    try {
      return propose(this.raft, data instanceof Uint8Array ? [data] : data);
    } catch (error) {
      this.fail(error);
    }
  }

  proposeConfigChange(change: ConfigChange): ConfigProposalResult {
    try {
      return proposeConfigChange(this.raft, change);
    } catch (error) {
      this.fail(error);
    }
  }

  transferLeadership(to: NodeId): RaftError | undefined {
    try {
      return transferLeadership(this.raft, to);
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Asks for a linearizable read point. The answer arrives as a ReadState with the same
   * `requestId` in a later Ready; serve the read once the host has applied its index.
   * A read in progress when leadership changes is dropped: the host times it out.
   */
  readIndex(requestId: number): RaftError | undefined {
    if (!Number.isSafeInteger(requestId) || requestId < 0) {
      return new RaftError(
        'invalid-message',
        `read request id must be a non-negative integer, got ${requestId}`,
      );
    }
    if (this.raft.role === Role.Leader)
      return handleReadIndexRequest(this.raft, requestId, this.raft.id);
    return forwardRead(this.raft, requestId);
  }

  /**
   * The host took a snapshot of its state machine at `index` (at most the applied index).
   * Returns the snapshot to persist, with the term and membership as of `index`; the host
   * then stores it and drops its log entries up to `index`.
   */
  compact(index: number, data: Uint8Array): Snapshot | RaftError {
    const r: Raft = this.raft;
    if (!Number.isSafeInteger(index) || index > r.log.applied) {
      return new RaftError(
        'snapshot-not-applied',
        `index ${index} is not applied (applied ${r.log.applied})`,
      );
    }
    if (index <= r.log.storage.firstIndex() - 1) {
      return new RaftError(
        'snapshot-out-of-date',
        `the log is already compacted up to ${r.log.storage.firstIndex() - 1}`,
      );
    }
    if (r.log.hasPendingSnapshot())
      return new RaftError('snapshot-pending', 'a snapshot is being installed');
    const term = r.log.term(index);
    r.check(term !== undefined, `no term for applied index ${index}`);
    const snapshot: Snapshot = { metadata: { index, term, config: configAt(r, index) }, data };
    trimConfigHistory(r, index);
    return snapshot;
  }

  hasReady(): boolean {
    if (this.snapshotOutstanding) return false;
    const r: Raft = this.raft;
    const unstable = r.log.unstable;
    // A snapshot to install waits until every earlier Ready is advanced (see the top).
    if (unstable.snapshot !== undefined && !unstable.snapshotInProgress)
      return this.outstanding.length === 0;
    if (r.hasPendingBroadcast() || r.messages.length > 0 || r.messagesAfterPersist.length > 0)
      return true;
    if (r.readStates.length > 0) return true;
    if (unstable.hasNotInProgress()) return true;
    if (r.log.hasNextCommittedEntries()) return true;
    if (r.leader !== this.previousSoft.leader || r.role !== this.previousSoft.role) return true;
    const hard = this.previousHard;
    return r.term !== hard.term || r.vote !== hard.vote || r.log.committed !== hard.commit;
  }

  ready(): Ready {
    try {
      return this.takeReady();
    } catch (error) {
      this.fail(error);
    }
  }

  private takeReady(): Ready {
    const r: Raft = this.raft;
    if (this.outstanding.length > 0) {
      r.check(!this.snapshotOutstanding, 'ready() called while a snapshot is outstanding');
      r.check(this.hasReady(), 'ready() called again before advance() with nothing new');
      r.check(this.outstanding.length < readiesOutstandingMax, 'too many Readies outstanding');
    }
    r.flushBroadcasts();
    const soft = r.softState();
    const hard = r.hardState();
    const softChanged =
      soft.leader !== this.previousSoft.leader || soft.role !== this.previousSoft.role;
    const hardChanged =
      hard.term !== this.previousHard.term ||
      hard.vote !== this.previousHard.vote ||
      hard.commit !== this.previousHard.commit;
    const ready: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      snapshot: this.takeSnapshotToPersist(),
      entries: r.log.unstable.takeNotInProgress(),
      messages: r.messages,
      messagesAfterPersist: r.messagesAfterPersist,
      committedEntries: r.log.nextCommittedEntries(r.options.committedBytesPerReadyMax),
      readStates: r.readStates,
    };
    r.messages = [];
    r.messagesAfterPersist = [];
    r.readStates = [];
    this.previousSoft = soft;
    this.previousHard = hard;
    this.outstanding.push(ready);
    if (ready.snapshot !== undefined) this.snapshotOutstanding = true;
    return ready;
  }

  private takeSnapshotToPersist(): Snapshot | undefined {
    const unstable = this.raft.log.unstable;
    if (unstable.snapshot === undefined || unstable.snapshotInProgress) return undefined;
    this.raft.check(this.outstanding.length === 0, 'a snapshot is handed out only alone');
    unstable.snapshotInProgress = true;
    return unstable.snapshot;
  }

  /** The host has done everything the oldest outstanding Ready asked for. */
  advance(): void {
    try {
      this.advanceReady();
    } catch (error) {
      this.fail(error);
    }
  }

  private advanceReady(): void {
    const ready = this.outstanding.shift();
    if (ready === undefined) assert(false, `${this.raft.describe()}: advance() without a Ready`);
    if (ready.snapshot !== undefined) this.snapshotOutstanding = false;
    const r: Raft = this.raft;
    if (ready.snapshot !== undefined) {
      const index = ready.snapshot.metadata.index;
      const current = r.log.unstable.snapshot === ready.snapshot;
      r.log.unstable.stableSnapshotTo(index);
      if (current) r.persistedIndex = index;
      r.log.appliedTo(Math.max(r.log.applied, Math.min(index, r.log.committed)));
    }
    // The longest prefix of what was persisted that is still our log (a conflicting append
    // may have replaced a suffix meanwhile; that suffix is persisted again in the next Ready).
    for (let i = ready.entries.length - 1; i >= 0; i--) {
      const entry = ready.entries[i] as Entry;
      if (r.log.term(entry.index) !== entry.term) continue;
      r.log.unstable.stableTo(entry.index, entry.term);
      r.persistedIndex = Math.max(r.persistedIndex, entry.index);
      break;
    }
    const applied = ready.committedEntries[ready.committedEntries.length - 1];
    if (applied !== undefined) {
      for (const entry of ready.committedEntries) {
        if (entry.type === EntryType.Config) applyConfigEntry(r, entry);
      }
      r.log.appliedTo(applied.index);
    }
    if (r.role === Role.Leader) {
      r.progress.get(r.id)?.maybeUpdate(r.persistedIndex);
      maybeCommit(r);
      maybeLeaveJoint(r);
    }
  }

  /** Messages that may leave at once, for a host that sends while an fsync is in flight. */
  takeMessages(): Message[] {
    const r: Raft = this.raft;
    try {
      r.flushBroadcasts();
    } catch (error) {
      this.fail(error);
    }
    const messages = r.messages;
    r.messages = [];
    return messages;
  }

  /**
   * Drops every message made so far, both those that need no sync and those waiting for
   * one (acknowledgements, vote grants), as a network may lose any; returns how many. For a
   * host whose group must say nothing for a while (its state machine restoring a snapshot):
   * kept, they would leave stale, in one burst, with the next Ready.
   */
  discardMessages(): number {
    const r: Raft = this.raft;
    try {
      r.flushBroadcasts();
    } catch (error) {
      this.fail(error);
    }
    const discarded = r.messages.length + r.messagesAfterPersist.length;
    r.messages = [];
    r.messagesAfterPersist = [];
    return discarded;
  }

  status(): RaftStatus {
    return raftStatus(this.raft);
  }

  /** Rethrows, naming this group and node in a broken invariant found deep in the core. */
  private fail(error: unknown): never {
    const who = this.raft.describe();
    if (error instanceof RaftInvariantError && !error.message.includes(who)) {
      const where = `${who} (term ${this.raft.term}, ${this.raft.role})`;
      throw new RaftInvariantError(`${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
