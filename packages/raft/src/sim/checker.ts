/**
 * The safety checker: Raft's invariants, checked incrementally as the hosts report what
 * they persist, commit and apply, so every step of a run is checked at a small cost.
 *
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) pair always names the same entry, preceded by the same
 *   term (by induction, the same prefix);
 * - leader completeness: a new leader's log holds every entry committed in earlier terms;
 * - committed entries never change: an index, once committed anywhere, holds the same entry
 *   wherever it is committed later (this is how a lost acknowledged entry shows up);
 * - state machine safety: every node applies the same entry at an index, in order, with
 *   no gaps, and a snapshot image equals the applied prefix it claims to be;
 * - durable state is monotonic: term never decreases, a vote is never changed within a
 *   term, and a linearizable read never returns a point before an acknowledged write.
 */
import type { Raft } from '../core/raft.ts';
import { type Entry, EntryType, type HardState, type NodeId } from '../core/types.ts';
import { dataText, entryKey } from './entry-key.ts';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
}

interface Position {
  readonly key: string;
  readonly prevTerm: number;
}

interface CommittedEntry {
  readonly key: string;
  readonly term: number;
  /** The lowest term of a leader seen committing it (entries committed in earlier terms
   * must be in every leader of a later term). */
  committedInTerm: number;
}

export class SafetyChecker {
  private readonly leaders = new Map<number, NodeId>();
  private readonly positions = new Map<string, Position>();
  private readonly committed: (CommittedEntry | undefined)[] = [];
  private readonly appliedKeys: (string | undefined)[] = [];
  /** Proposal ids in the order the state machine applies them (index-aligned in a Map). */
  private readonly appliedDataIds = new Map<number, string>();
  private readonly acknowledged = new Map<string, number>();
  private ackedIndexMax = 0;
  violations = 0;

  fail(message: string): never {
    this.violations++;
    throw new SafetyViolation(message);
  }

  /** A node reports it is leader of `term`. */
  onLeader(node: NodeId, term: number, raft: Raft): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, node);
      this.checkLeaderCompleteness(node, term, raft);
    } else if (known !== node) {
      this.fail(`election safety: nodes ${known} and ${node} are both leaders of term ${term}`);
    }
  }

  private checkLeaderCompleteness(node: NodeId, term: number, raft: Raft): void {
    const first = raft.log.firstIndex();
    for (let index = 1; index < this.committed.length; index++) {
      const entry = this.committed[index];
      if (entry === undefined || entry.committedInTerm >= term) continue;
      if (index < first - 1) continue; // inside the leader's snapshot: committed state
      const held = raft.log.term(index);
      if (held !== entry.term) {
        this.fail(
          `leader completeness: node ${node}, leader of term ${term}, has term ${held} at ${index} ` +
            `where ${entry.key} was committed in term ${entry.committedInTerm}`,
        );
      }
    }
  }

  /** A node persisted `entries`; `termBefore(i)` is its durable log's term at i. */
  onPersistEntries(
    node: NodeId,
    entries: readonly Entry[],
    termBefore: (index: number) => number | undefined,
  ): void {
    for (const entry of entries) {
      const prevTerm = termBefore(entry.index - 1);
      if (prevTerm === undefined) continue; // right after a snapshot boundary we cannot know
      const at = `${entry.index}:${entry.term}`;
      const key = entryKey(entry);
      const known = this.positions.get(at);
      if (known === undefined) {
        this.positions.set(at, { key, prevTerm });
      } else if (known.key !== key || known.prevTerm !== prevTerm) {
        this.fail(
          `log matching: node ${node} holds ${key} after term ${prevTerm} at ${at}, ` +
            `another node holds ${known.key} after term ${known.prevTerm}`,
        );
      }
    }
  }

  /** A node's commit index reached `commit`; `entryAt` reads its log. */
  onCommit(
    node: NodeId,
    from: number,
    commit: number,
    entryAt: (index: number) => Entry | undefined,
    leaderTerm: number | undefined,
  ): void {
    for (let index = from + 1; index <= commit; index++) {
      const entry = entryAt(index);
      if (entry === undefined) continue; // covered by a snapshot
      const key = entryKey(entry);
      const known = this.committed[index];
      if (known === undefined) {
        this.committed[index] = {
          key,
          term: entry.term,
          committedInTerm: leaderTerm ?? Number.MAX_SAFE_INTEGER,
        };
      } else if (known.key !== key) {
        this.fail(
          `committed entry lost: index ${index} held ${known.key}, node ${node} now commits ${key}`,
        );
      } else if (leaderTerm !== undefined && leaderTerm < known.committedInTerm) {
        known.committedInTerm = leaderTerm;
      }
    }
  }

  /** A node applied `entry`; it had applied up to `appliedBefore`. */
  onApply(node: NodeId, entry: Entry, appliedBefore: number): void {
    if (entry.index !== appliedBefore + 1) {
      this.fail(`state machine safety: node ${node} applies ${entry.index} after ${appliedBefore}`);
    }
    const key = entryKey(entry);
    const known = this.appliedKeys[entry.index];
    if (known === undefined) {
      this.appliedKeys[entry.index] = key;
      if (entry.type === EntryType.Data) this.appliedDataIds.set(entry.index, dataText(entry.data));
    } else if (known !== key) {
      this.fail(
        `state machine safety: node ${node} applies ${key} at ${entry.index}, another applied ${known}`,
      );
    }
  }

  /** A node installed a snapshot at `index` whose image lists `ids`. */
  onSnapshotApplied(node: NodeId, index: number, ids: readonly string[]): void {
    const expected: string[] = [];
    for (let i = 1; i <= index; i++) {
      const id = this.appliedDataIds.get(i);
      if (id !== undefined) expected.push(id);
      else if (this.appliedKeys[i] === undefined) {
        this.fail(
          `state machine safety: node ${node} installs a snapshot at ${index}, but ${i} was never applied`,
        );
      }
    }
    if (expected.length !== ids.length || expected.some((id, i) => id !== ids[i])) {
      this.fail(
        `state machine safety: node ${node} installs a snapshot at ${index} that differs from the applied log`,
      );
    }
  }

  onHardState(node: NodeId, before: HardState, after: HardState): void {
    if (after.term < before.term)
      this.fail(`node ${node}: durable term went back from ${before.term} to ${after.term}`);
    if (after.term === before.term && before.vote !== 0 && after.vote !== before.vote) {
      this.fail(
        `node ${node}: changed its vote in term ${after.term} from ${before.vote} to ${after.vote}`,
      );
    }
  }

  /** A client was told `id` committed at `index`. */
  onAcknowledged(id: string, index: number): void {
    this.acknowledged.set(id, index);
    if (index > this.ackedIndexMax) this.ackedIndexMax = index;
  }

  /** The highest index acknowledged to any client so far (a read must not return before it). */
  acknowledgedIndexMax(): number {
    return this.ackedIndexMax;
  }

  onReadState(node: NodeId, index: number, requiredIndex: number): void {
    if (index < requiredIndex) {
      this.fail(
        `linearizability: node ${node} got read index ${index} below acknowledged write ${requiredIndex}`,
      );
    }
  }

  /** How many terms had a leader. */
  leaderTermCount(): number {
    return this.leaders.size;
  }

  acknowledgedCount(): number {
    return this.acknowledged.size;
  }

  /** At the end of a run: every acknowledged proposal is in every given state machine. */
  checkAcknowledgedApplied(node: NodeId, appliedIds: ReadonlySet<string>): void {
    for (const [id, index] of this.acknowledged) {
      if (!appliedIds.has(id))
        this.fail(`acknowledged proposal ${id} (index ${index}) is missing on node ${node}`);
    }
  }
}
