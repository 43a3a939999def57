/**
 * Replays WAL records, in order, into each group's in-memory state. Records are applied
 * with the same meaning they had when written: an entries record replaces the log from
 * its first index, a compact record moves the base, a reset snapshot replaces the log, a
 * removal forgets the group. A record that cannot have been written by a correct WAL
 * (a gap, entries below the base, a term that disagrees) fences its group.
 *
 * A fenced group keeps pinning every segment holding its records, so the evidence (and
 * the fence) survives the next restart; only removing the group lifts it.
 */
import type { GroupId } from '../core/types.ts';
import { RaftStorageError } from './errors.ts';
import { GroupLog, type GroupLogContext } from './group-log.ts';
import { type RecordHeader, RecordKind } from './record.ts';
import {
  readConfigBody,
  readHardStateBody,
  readPositionBody,
  readSnapshotBody,
  summarizeEntriesBody,
} from './record-body.ts';
import { EntryRun, RecordRef } from './record-ref.ts';
import type { SegmentSet } from './segments.ts';

export interface RecordLocation {
  readonly segment: number;
  readonly position: number;
  readonly size: number;
}

export class Replayer {
  readonly groups = new Map<GroupId, GroupLog>();
  readonly faults = new Map<GroupId, RaftStorageError>();
  /** Records of fenced groups, pinned so that their segments are kept. */
  readonly heldRefs = new Map<GroupId, RecordRef[]>();
  /**
   * Groups whose log began above index 1, or continued after a gap (`openGap`), and whose
   * base record has not been seen yet.
   */
  private readonly baseUnknown = new Set<GroupId>();
  /** What opened the gap of a group in `baseUnknown`, for the fence if nothing settles it. */
  private readonly gaps = new Map<GroupId, string>();
  nodeFault: RaftStorageError | undefined;
  recordCount = 0;
  /** Groups with a removal record in the WAL (a later record of theirs is a re-creation). */
  readonly removalsSeen = new Set<GroupId>();

  constructor(
    private readonly segments: SegmentSet,
    private readonly context: GroupLogContext,
  ) {}

  apply(header: RecordHeader, body: Buffer, at: RecordLocation): void {
    this.recordCount += 1;
    const group = header.group;
    if (header.kind === RecordKind.SegmentStart) {
      this.fenceNode('a segment-start record in the middle of a segment');
      return;
    }
    if (header.kind === RecordKind.GroupRemoved) {
      this.forget(group);
      return;
    }
    if (this.faults.has(group)) {
      this.hold(group, this.pinnedRef(header.kind === RecordKind.Entries, at));
      return;
    }
    const problem = this.applyToGroup(header, body, at);
    if (problem !== undefined) this.fenceGroup(group, problem);
  }

  /** Records a damaged record of `group` (its header was intact, its body was not). */
  damagedRecord(group: GroupId, at: RecordLocation): void {
    this.fenceGroup(group, `record at segment ${at.segment} position ${at.position} is corrupt`);
    this.hold(group, this.pinnedRef(false, at));
  }

  fenceNode(problem: string): void {
    this.nodeFault ??= new RaftStorageError('CORRUPT', `WAL corrupt: ${problem}`);
  }

  /** End of replay: groups whose log never found its base, and node-wide damage. */
  finish(): void {
    for (const group of this.baseUnknown) {
      const log = this.groups.get(group);
      if (log !== undefined && log.lastIndex > 0) {
        const gap = this.gaps.get(group);
        this.fenceGroup(
          group,
          gap ?? `log starts at ${log.firstIndex()} but its base record is missing`,
        );
      }
    }
    if (this.nodeFault !== undefined) {
      for (const group of this.groups.keys()) {
        if (!this.faults.has(group)) this.faults.set(group, this.nodeFault);
      }
    }
  }

  private applyToGroup(header: RecordHeader, body: Buffer, at: RecordLocation): string | undefined {
    const log = this.logOf(header.group);
    switch (header.kind) {
      case RecordKind.Entries:
        return this.applyEntries(log, body, at);
      case RecordKind.HardState: {
        const hardState = readHardStateBody(body);
        if (hardState === undefined) return 'hard-state record is malformed';
        this.replace(log, 'hardStateRef', at);
        log.hardState = hardState;
        return undefined;
      }
      case RecordKind.Config: {
        const config = readConfigBody(body, 0);
        if (config === undefined || config.end !== body.byteLength)
          return 'config record is malformed';
        this.replace(log, 'configRef', at);
        log.config = config.config;
        return undefined;
      }
      case RecordKind.Snapshot:
        return this.applySnapshot(log, body, at);
      case RecordKind.Compact:
        return this.applyCompact(log, body, at);
      default:
        return `record kind ${header.kind} is not a group record`;
    }
  }

  private applyEntries(log: GroupLog, body: Buffer, at: RecordLocation): string | undefined {
    const summary = summarizeEntriesBody(body);
    if (summary === undefined) return 'entries record is malformed';
    const first = summary.indexFirst;
    if (this.baseUnknown.has(log.id)) this.inferBase(log, first);
    if (first <= log.base.index)
      return `entries at ${first} are at or below the base ${log.base.index}`;
    if (first > log.lastIndex + 1) this.openGap(log, first);
    if (first > 1 && log.lastIndex >= first - 1 && !this.baseUnknown.has(log.id)) {
      const previousTerm = log.term(first - 1);
      if (previousTerm !== undefined && previousTerm > summary.termFirst) {
        return `entries at ${first} have a term below the entry before them`;
      }
    }
    const run = new EntryRun(summary);
    this.locate(run, at);
    log.appendRun(run, undefined);
    return undefined;
  }

  /** The group's base is known again: any gap it had is covered. */
  private settleBase(group: GroupId): void {
    this.baseUnknown.delete(group);
    this.gaps.delete(group);
  }

  /**
   * Entries above the log's end, after its base. A correct WAL writes this when a segment
   * left holding only state records had them logged again into the active segment (the
   * group's base among them) after the group's entries in an older segment, and a later
   * compaction then freed that older segment: replay meets the relogged base, then entries
   * far above it, and only further on the compaction that covers the missing ones. So the
   * gap is held open, like an unknown base: a later compact or snapshot record at or past
   * it settles it; otherwise `finish()` fences the group with this message.
   */
  private openGap(log: GroupLog, first: number): void {
    this.gaps.set(log.id, `entries at ${first} leave a gap after ${log.lastIndex}`);
    this.baseUnknown.add(log.id);
    log.resetEntries({ index: first - 1, term: 0 });
  }

  /**
   * While a group's base record has not been seen (older segments were deleted), its log
   * is taken to start where its earliest surviving entries start. An overwrite that
   * reaches below that start (the entries it replaced were in a deleted segment) moves
   * the start down. Starting at index 1 settles it; otherwise a later compact or snapshot
   * record must, or `finish()` fences the group.
   */
  private inferBase(log: GroupLog, first: number): void {
    if (first > log.base.index && log.runs.length > 0) return;
    log.resetEntries({ index: first - 1, term: 0 });
    if (first === 1) this.settleBase(log.id);
  }

  private applySnapshot(log: GroupLog, body: Buffer, at: RecordLocation): string | undefined {
    const snapshot = readSnapshotBody(body);
    if (snapshot === undefined) return 'snapshot record is malformed';
    this.replace(log, 'snapshotRef', at);
    log.snapshotMetadata = { index: snapshot.index, term: snapshot.term, config: snapshot.config };
    if (!snapshot.resetLog) return undefined;
    log.resetEntries({ index: snapshot.index, term: snapshot.term });
    this.settleBase(log.id);
    this.replace(log, 'baseRef', at);
    this.replace(log, 'configRef', at);
    log.config = snapshot.config;
    return undefined;
  }

  private applyCompact(log: GroupLog, body: Buffer, at: RecordLocation): string | undefined {
    const position = readPositionBody(body);
    if (position === undefined) return 'compact record is malformed';
    if (this.baseUnknown.has(log.id)) {
      // Compacting below the surviving entries: the base is still unknown.
      if (position.index < log.base.index) return undefined;
      if (position.index === log.base.index) log.base = position;
      else log.compactThrough(position);
      this.settleBase(log.id);
    } else if (position.index < log.base.index) {
      return undefined;
    } else if (position.index <= log.lastIndex && log.term(position.index) !== position.term) {
      return `compact record (${position.index}, ${position.term}) disagrees with the log`;
    } else if (position.index === log.base.index && position.term !== log.base.term) {
      return 'compact record disagrees with the base';
    } else {
      log.compactThrough(position);
    }
    this.replace(log, 'baseRef', at);
    return undefined;
  }

  private logOf(group: GroupId): GroupLog {
    let log = this.groups.get(group);
    if (log === undefined) {
      log = new GroupLog(group, this.context);
      this.groups.set(group, log);
      this.baseUnknown.add(group);
    }
    return log;
  }

  private replace(
    log: GroupLog,
    slot: 'hardStateRef' | 'configRef' | 'baseRef' | 'snapshotRef',
    at: RecordLocation,
  ): void {
    const previous = log[slot];
    if (previous !== undefined) this.context.release(previous);
    log[slot] = this.pinnedRef(false, at);
  }

  private pinnedRef(carriesEntries: boolean, at: RecordLocation): RecordRef {
    const ref = new RecordRef(carriesEntries);
    this.locate(ref, at);
    return ref;
  }

  private locate(ref: RecordRef, at: RecordLocation): void {
    ref.segment = at.segment;
    ref.position = at.position;
    ref.size = at.size;
    this.segments.pin(ref);
  }

  private hold(group: GroupId, ref: RecordRef): void {
    let held = this.heldRefs.get(group);
    if (held === undefined) {
      held = [];
      this.heldRefs.set(group, held);
    }
    held.push(ref);
  }

  private fenceGroup(group: GroupId, problem: string): void {
    if (this.faults.has(group)) return;
    this.faults.set(group, new RaftStorageError('CORRUPT', `group ${group}: ${problem}`, group));
    this.logOf(group);
  }

  private forget(group: GroupId): void {
    this.removalsSeen.add(group);
    this.groups.get(group)?.releaseAll();
    this.groups.delete(group);
    for (const ref of this.heldRefs.get(group) ?? []) this.context.release(ref);
    this.heldRefs.delete(group);
    this.faults.delete(group);
    this.settleBase(group);
  }
}
