/**
 * The node's durable Raft log: ONE write-ahead log shared by every group, so that one
 * fdatasync makes the appends of all groups durable (group commit; the fsync rate does
 * not grow with the number of groups).
 *
 *   const wal = await RaftWal.open({ dir });       // recovers; see wal.recovery
 *   const storage = wal.group(7);                  // LogReader for group 7's RawNode
 *   storage.stage({ entries, hardState });          // from a Ready
 *   await wal.sync();                              // every group's staged writes durable
 *
 * `sync()` callers coalesce: while one flush is writing, everything staged meanwhile
 * waits for the next one (one flush in progress plus one pending at most). A flush is
 * one write call and one fdatasync of the active segment, then one write and fdatasync
 * of the acknowledged-state file (pipelined with the next flush's segment write); only
 * then does `sync()` resolve. Any I/O error stops the WAL for good (error code IO).
 */
import { join } from 'node:path';
import type {
  ConfigState,
  Entry,
  GroupId,
  HardState,
  Snapshot,
  SnapshotMetadata,
} from '../core/types.ts';
import {
  AcknowledgedFile,
  type AcknowledgedGroup,
  type AcknowledgedNode,
  decodeAcknowledged,
} from './acknowledged-file.ts';
import { assessAmnesia } from './amnesia.ts';
import { assert } from './assert.ts';
import type { ByteBuffer } from './byte-buffer.ts';
import { loadChecksum } from './checksum.ts';
import { RaftStorageError } from './errors.ts';
import { nodeWalFileSystem, type WalFileSystem, writeDurably } from './file-system.ts';
import { GroupLog, type GroupLogContext } from './group-log.ts';
import { type GroupRecovery, type GroupStager, GroupStorage } from './group-storage.ts';
import {
  cacheBytesDefault,
  recordBodyBytesTarget,
  segmentBytesDefault,
  segmentBytesMax,
  segmentBytesMin,
} from './limits.ts';
import {
  beginRecord,
  bodyMatches,
  decodeRecordHeader,
  finishRecord,
  RecordKind,
  recordHeaderBytes,
} from './record.ts';
import {
  entriesBodyHeaderBytes,
  entryHeaderBytes,
  writeConfigBody,
  writeEntriesBody,
  writeHardStateBody,
  writePositionBody,
  writeSnapshotBody,
} from './record-body.ts';
import { EntryRun, RecordRef } from './record-ref.ts';
import { recoverSegments } from './recover-segments.ts';
import { logRecovery, type WalLogger, type WalRecoveryReport } from './recovery-report.ts';
import { Replayer } from './replay.ts';
import { SegmentSet } from './segments.ts';
import { SnapshotStore } from './snapshot-store.ts';
import { StagedBatch } from './staging.ts';

export type { WalLogger, WalRecoveryReport } from './recovery-report.ts';

export interface RaftWalOptions {
  /** Directory of this node's Raft data: `wal/`, `snapshots/` and, by default, the acknowledged file. */
  readonly dir: string;
  /** Where the acknowledged-state file lives (default `<dir>/acknowledged`). Never restore it from a backup. */
  readonly acknowledgedPath?: string;
  /** Segment roll size (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Bound of the in-memory entry cache (default 64 MiB; see limits.ts). */
  readonly cacheBytes?: number;
  readonly fileSystem?: WalFileSystem;
  /**
   * Open even though the WAL holds data and the acknowledged-state file is missing (an
   * operator's decision): every group then stays out of elections until it re-learns.
   */
  readonly allowMissingAcknowledged?: boolean;
  readonly logger?: WalLogger;
}

export interface WalStats {
  readonly flushes: number;
  readonly segmentSyncs: number;
  readonly acknowledgedSyncs: number;
  readonly bytesWritten: number;
  readonly recordsWritten: number;
  readonly entriesStaged: number;
  readonly diskReads: number;
  readonly cacheBytes: number;
  readonly cacheBytesMax: number;
  readonly segments: number;
  readonly stagedBytes: number;
  readonly snapshotFilesWritten: number;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

interface AcknowledgedUpdate {
  readonly groups: [GroupId, AcknowledgedGroup][];
  readonly removed: GroupId[];
}

export class RaftWal implements GroupStager, GroupLogContext {
  private readonly storages = new Map<GroupId, GroupStorage>();
  /** Groups by most recent append, least recent first: the cache evicts in this order. */
  private readonly appendOrder = new Map<GroupId, GroupLog>();
  private readonly heldRefs: Map<GroupId, RecordRef[]>;
  private batch = new StagedBatch();
  /**
   * For each snapshot file due for deletion, the batch whose cleanup may delete it: the last
   * batch that made it obsolete. A file written again since (a group removed and created
   * anew, reaching the same index and term) leaves this map, so an older cleanup never
   * deletes the new file, and a later batch that obsoletes it again takes ownership, so its
   * deletion waits for that batch to be durable.
   */
  private readonly obsoleteSnapshotOwner = new Map<string, StagedBatch>();
  /** The byte buffer of the last written batch, reused by the next one. */
  private spareBytes: ByteBuffer | undefined;
  private nextFlush: Deferred | undefined;
  private lastFlushDone: Promise<void> = Promise.resolve();
  private acknowledgedChain: Promise<void> = Promise.resolve();
  /**
   * Per group, what the acknowledged file claims once every write asked so far has landed
   * (seeded at open from the file itself).
   */
  private readonly lastCaptured = new Map<GroupId, AcknowledgedGroup>();
  private cleanupChain: Promise<void> = Promise.resolve();
  private segmentIdle = true;
  private flushScheduled = false;
  private replaying = true;
  private failure: RaftStorageError | undefined;
  private closed = false;
  private cacheBytesHeld = 0;
  private lastRead: { ref: RecordRef; body: Buffer } | undefined;
  private acknowledged!: AcknowledgedFile;
  private readonly counters = {
    flushes: 0,
    segmentSyncs: 0,
    acknowledgedSyncs: 0,
    bytesWritten: 0,
    recordsWritten: 0,
    entriesStaged: 0,
    diskReads: 0,
  };
  recovery!: WalRecoveryReport;

  private constructor(
    private readonly fs: WalFileSystem,
    private readonly segments: SegmentSet,
    private readonly snapshots: SnapshotStore,
    private readonly segmentBytes: number,
    private readonly cacheBytesMax: number,
    private readonly logger: WalLogger | undefined,
  ) {
    this.heldRefs = new Map();
  }

  /** Opens (creating if needed) and recovers the WAL in `options.dir`. */
  static async open(options: RaftWalOptions): Promise<RaftWal> {
    await loadChecksum();
    const fs = options.fileSystem ?? nodeWalFileSystem;
    const segmentBytes = options.segmentBytes ?? segmentBytesDefault;
    assert(
      segmentBytes >= segmentBytesMin && segmentBytes <= segmentBytesMax,
      'segmentBytes out of range',
    );
    const cacheBytes = options.cacheBytes ?? cacheBytesDefault;
    assert(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0, 'cacheBytes must be >= 0');
    const walDirectory = join(options.dir, 'wal');
    const snapshotDirectory = join(options.dir, 'snapshots');
    for (const directory of [options.dir, walDirectory, snapshotDirectory]) {
      await fs.makeDirectory(directory);
    }
    await fs.syncDirectory(options.dir);
    const wal = new RaftWal(
      fs,
      new SegmentSet(fs, walDirectory),
      new SnapshotStore(fs, snapshotDirectory),
      segmentBytes,
      cacheBytes,
      options.logger,
    );
    await wal.recover(options.acknowledgedPath ?? join(options.dir, 'acknowledged'), options);
    return wal;
  }

  /** The group's storage, created empty if the WAL does not know it. */
  group(id: GroupId): GroupStorage {
    this.checkOpen();
    const known = this.storages.get(id);
    if (known !== undefined) return known;
    assert(Number.isSafeInteger(id) && id >= 0, 'group ids are safe integers >= 0');
    const storage = this.addGroup(new GroupLog(id, this), undefined);
    return storage;
  }

  hasGroup(id: GroupId): boolean {
    return this.storages.has(id);
  }

  groupIds(): GroupId[] {
    return [...this.storages.keys()];
  }

  /** Stages the group's removal: its records stop pinning segments once this is durable. */
  removeGroup(id: GroupId): void {
    this.checkWritable();
    const storage = this.storages.get(id);
    if (storage === undefined) return;
    const out = this.batch.bytes;
    const start = beginRecord(out, RecordKind.GroupRemoved, id);
    finishRecord(out, start);
    this.batch.recordCount += 1;
    const snapshot = storage.log.snapshotMetadata;
    if (snapshot !== undefined) this.markSnapshotObsolete(SnapshotStore.nameOf(id, snapshot));
    storage.log.releaseAll();
    for (const ref of this.heldRefs.get(id) ?? []) this.release(ref);
    this.heldRefs.delete(id);
    this.storages.delete(id);
    this.appendOrder.delete(id);
    this.batch.touchedGroups.delete(id);
    this.batch.removedGroups.add(id);
  }

  /**
   * Resolves once everything staged before the call (by any group) is durable, and the
   * acknowledged-state file records it. Rejects, for good, after any I/O error.
   */
  sync(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new RaftStorageError('CLOSED', 'the WAL is closed'));
    if (this.batch.isEmpty) return this.lastFlushDone;
    this.nextFlush ??= deferred();
    this.scheduleFlush();
    return this.nextFlush.promise;
  }

  /** Syncs what is staged, waits for background work, and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failure === undefined) await this.sync();
    } finally {
      this.closed = true;
      await this.lastFlushDone.catch(() => {});
      await this.acknowledgedChain;
      await this.cleanupChain;
      await this.segments.closeAll().catch(() => {});
      await this.acknowledged.close().catch(() => {});
    }
  }

  stats(): WalStats {
    return {
      ...this.counters,
      cacheBytes: this.cacheBytesHeld,
      cacheBytesMax: this.cacheBytesMax,
      segments: this.segments.segments.length,
      stagedBytes: this.batch.bytes.length,
      snapshotFilesWritten: this.snapshots.filesWritten,
    };
  }

  /** Groups whose records keep the oldest segment alive: compact these to free disk. */
  groupsPinningOldestSegment(): GroupId[] {
    const oldest = this.segments.oldestSequence;
    const pinning: GroupId[] = [];
    for (const storage of this.storages.values()) {
      const log = storage.log;
      const refs = [log.hardStateRef, log.configRef, log.baseRef, log.snapshotRef, ...log.runs];
      if (refs.some((ref) => ref !== undefined && ref.segment === oldest)) pinning.push(log.id);
    }
    return pinning;
  }

  // ---- GroupStager: encoding staged changes into the batch ----

  checkWritable(): void {
    this.checkOpen();
    if (this.failure !== undefined) throw this.failure;
  }

  stageEntries(log: GroupLog, entries: readonly Entry[]): void {
    let from = 0;
    while (from < entries.length) {
      let to = from;
      let bytes = entriesBodyHeaderBytes;
      do {
        bytes += entryHeaderBytes + (entries[to] as Entry).data.byteLength;
        to += 1;
      } while (
        to < entries.length &&
        bytes + entryHeaderBytes + (entries[to] as Entry).data.byteLength <= recordBodyBytesTarget
      );
      const slice = from === 0 && to === entries.length ? entries : entries.slice(from, to);
      const run = new EntryRun(summarize(slice));
      if (run.indexFirst <= log.lastIndex) this.noteReplaced(log.id, run.indexFirst);
      this.encode(RecordKind.Entries, log.id, run, (out) =>
        writeEntriesBody(out, slice, 0, slice.length),
      );
      log.appendRun(run, slice);
      this.counters.entriesStaged += slice.length;
      from = to;
    }
    this.appendOrder.delete(log.id);
    this.appendOrder.set(log.id, log);
    this.batch.touchedGroups.add(log.id);
  }

  stageHardState(log: GroupLog, hardState: HardState): void {
    const ref = new RecordRef(false);
    this.encode(RecordKind.HardState, log.id, ref, (out) => writeHardStateBody(out, hardState));
    this.swap(log, 'hardStateRef', ref);
    log.hardState = hardState;
    this.batch.touchedGroups.add(log.id);
  }

  stageConfig(log: GroupLog, config: ConfigState): void {
    const ref = new RecordRef(false);
    this.encode(RecordKind.Config, log.id, ref, (out) => writeConfigBody(out, config));
    this.swap(log, 'configRef', ref);
    log.config = config;
    this.batch.touchedGroups.add(log.id);
  }

  stageSnapshot(log: GroupLog, snapshot: Snapshot, resetLog: boolean): void {
    const { index, term, config } = snapshot.metadata;
    const previous = log.snapshotMetadata;
    const name = SnapshotStore.nameOf(log.id, snapshot.metadata);
    if (previous !== undefined && SnapshotStore.nameOf(log.id, previous) !== name) {
      this.markSnapshotObsolete(SnapshotStore.nameOf(log.id, previous));
    }
    this.obsoleteSnapshotOwner.delete(name);
    this.batch.snapshotFiles.push({ group: log.id, snapshot });
    this.snapshots.stagePending(log.id, snapshot);
    const refs = [new RecordRef(false), new RecordRef(false), new RecordRef(false)] as const;
    const body = { index, term, resetLog, config };
    this.encode(RecordKind.Snapshot, log.id, refs, (out) => writeSnapshotBody(out, body));
    this.swap(log, 'snapshotRef', refs[0]);
    log.snapshotMetadata = snapshot.metadata;
    if (resetLog) {
      // The old log's term at `index` is unknown here: claim nothing until the batch lands.
      this.noteReplaced(log.id, 1);
      log.resetEntries({ index, term });
      this.swap(log, 'baseRef', refs[1]);
      this.swap(log, 'configRef', refs[2]);
      log.config = config;
    } else {
      refs[1].live = false;
      refs[2].live = false;
    }
    this.batch.touchedGroups.add(log.id);
  }

  stageCompact(log: GroupLog, index: number): void {
    const term = log.term(index);
    assert(term !== undefined, 'compaction needs the term of its index');
    const ref = new RecordRef(false);
    this.encode(RecordKind.Compact, log.id, ref, (out) => writePositionBody(out, { index, term }));
    log.compactThrough({ index, term });
    this.swap(log, 'baseRef', ref);
    this.batch.touchedGroups.add(log.id);
  }

  // ---- GroupLogContext ----

  readBody(ref: RecordRef, group: GroupId): Buffer {
    const cached = this.lastRead;
    if (cached !== undefined && cached.ref === ref) return cached.body;
    const segment = this.segments.bySequence(ref.segment);
    const bytes = Buffer.allocUnsafe(ref.size);
    this.counters.diskReads += 1;
    let read: number;
    try {
      read = segment.file.readSync(bytes, ref.position);
    } catch (error) {
      throw this.fenceGroup(
        group,
        new RaftStorageError('IO', 'reading an entries record failed', group, { cause: error }),
      );
    }
    const header = read === ref.size ? decodeRecordHeader(bytes, 0) : undefined;
    const body = bytes.subarray(recordHeaderBytes);
    if (
      header === undefined ||
      header.group !== group ||
      header.kind !== RecordKind.Entries ||
      !bodyMatches(header, body)
    ) {
      const where = `segment ${ref.segment} position ${ref.position}`;
      throw this.fenceGroup(
        group,
        new RaftStorageError('CORRUPT', `entries record at ${where} is damaged`, group),
      );
    }
    this.lastRead = { ref, body };
    return body;
  }

  release(ref: RecordRef): void {
    if (!ref.live) return;
    ref.live = false;
    if (ref.segment < 0) return;
    if (this.replaying) this.segments.unpin(ref);
    else this.batch.releases.push(ref);
  }

  cacheBytesChanged(deltaBytes: number): void {
    this.cacheBytesHeld += deltaBytes;
  }

  readSnapshot(group: GroupId, metadata: SnapshotMetadata): Snapshot {
    const snapshot = this.snapshots.read(group, metadata);
    if (snapshot !== undefined) return snapshot;
    const problem = `snapshot ${metadata.index} (term ${metadata.term}) is missing or damaged`;
    throw this.fenceGroup(group, new RaftStorageError('SNAPSHOT_MISSING', problem, group));
  }

  // ---- recovery ----

  private async recover(acknowledgedPath: string, options: RaftWalOptions): Promise<void> {
    const acknowledgedState = decodeAcknowledged(toBuffer(this.fs.readFileSync(acknowledgedPath)));
    const replayer = new Replayer(this.segments, this);
    const found = await recoverSegments(this.fs, this.segments, replayer, acknowledgedState.node);
    replayer.finish();
    this.replaying = false;
    const walHasData = replayer.groups.size > 0;
    if (!acknowledgedState.exists && walHasData && options.allowMissingAcknowledged !== true) {
      await this.segments.closeAll();
      throw new RaftStorageError(
        'ACKNOWLEDGED_MISSING',
        `the WAL holds data but ${acknowledgedPath} is missing; restore it or open with allowMissingAcknowledged`,
      );
    }
    const unreadable = acknowledgedState.damagedPairs > 0 || !acknowledgedState.exists;
    const recoveries = new Map<GroupId, GroupRecovery>();
    const groupIds = new Set([...replayer.groups.keys(), ...acknowledgedState.groups.keys()]);
    for (const id of groupIds) {
      recoveries.set(
        id,
        this.recoverGroup(id, replayer, acknowledgedState, unreadable && walHasData),
      );
    }
    for (const [id, refs] of replayer.heldRefs) this.heldRefs.set(id, refs);
    await this.checkSnapshotFiles();
    if (this.segments.segments.length === 0) await this.segments.roll();
    await this.rewriteAcknowledged(
      acknowledgedPath,
      acknowledgedState.groups,
      acknowledgedState.sequence,
    );
    this.recovery = {
      groups: recoveries,
      truncatedBytes: found.truncatedBytes,
      staleSegmentsRemoved: found.staleSegmentsRemoved,
      endsBeforeSyncedPosition: found.endsBeforeSyncedPosition,
      acknowledgedFileFound: acknowledgedState.exists,
      acknowledgedDamagedPairs: acknowledgedState.damagedPairs,
      nodeFault: replayer.nodeFault,
      recordsReplayed: replayer.recordCount,
    };
    if (this.logger !== undefined) logRecovery(this.logger, this.recovery);
  }

  private recoverGroup(
    id: GroupId,
    replayer: Replayer,
    acknowledgedState: ReturnType<typeof decodeAcknowledged>,
    unreadable: boolean,
  ): GroupRecovery {
    const log = replayer.groups.get(id) ?? new GroupLog(id, this);
    let fault = replayer.faults.get(id);
    const resurrected = acknowledgedState.removedGroups.has(id) && !replayer.removalsSeen.has(id);
    if (fault === undefined && resurrected) {
      const problem = `group ${id} was removed but is back in the WAL (an old copy restored?)`;
      fault = new RaftStorageError('CORRUPT', problem, id);
    }
    const recovery = this.assess(log, acknowledgedState.groups.get(id), unreadable, fault);
    this.addGroup(log, recovery);
    return recovery;
  }

  private assess(
    log: GroupLog,
    acknowledged: AcknowledgedGroup | undefined,
    unreadable: boolean,
    replayFault: RaftStorageError | undefined,
  ): GroupRecovery {
    const view = {
      baseIndex: log.base.index,
      lastIndex: log.lastIndex,
      term: (i: number) => log.term(i),
    };
    const assessment = assessAmnesia(view, log.hardState, acknowledged, unreadable);
    let fault = replayFault;
    if (fault === undefined && assessment.conflict !== undefined) {
      fault = new RaftStorageError('CORRUPT', `group ${log.id}: ${assessment.conflict}`, log.id);
    }
    if (fault === undefined && assessment.hardState !== log.hardState) {
      // Make the WAL agree with what the node had acknowledged (term, vote, commit clamp).
      this.stageHardState(log, assessment.hardState);
    }
    return {
      group: log.id,
      lastIndex: log.lastIndex,
      votingDisabledUntilIndex: fault === undefined ? assessment.votingDisabledUntilIndex : 0,
      reasons: assessment.reasons,
      fault,
    };
  }

  /** Fences groups whose snapshot file is gone; removes files no group refers to. */
  private async checkSnapshotFiles(): Promise<void> {
    const referenced = new Map<GroupId, string>();
    const fenced = new Set<GroupId>();
    for (const storage of this.storages.values()) {
      const metadata = storage.log.snapshotMetadata;
      if (metadata !== undefined)
        referenced.set(storage.id, SnapshotStore.nameOf(storage.id, metadata));
      if (storage.fault !== undefined) fenced.add(storage.id);
    }
    for (const [group, name] of await this.snapshots.reconcile(referenced, fenced)) {
      const problem = `snapshot file ${name} is missing`;
      this.fenceGroup(group, new RaftStorageError('SNAPSHOT_MISSING', problem, group));
    }
  }

  private async rewriteAcknowledged(
    path: string,
    previous: Map<GroupId, AcknowledgedGroup>,
    sequence: number,
  ): Promise<void> {
    const groups = new Map<GroupId, AcknowledgedGroup>();
    for (const storage of this.storages.values()) {
      const kept = previous.get(storage.id);
      if (storage.fault !== undefined) {
        if (kept !== undefined) groups.set(storage.id, kept);
      } else {
        groups.set(storage.id, this.acknowledgedStateOf(storage));
      }
    }
    this.acknowledged = await AcknowledgedFile.create(this.fs, path, {
      node: this.syncedNode(this.segments.oldestSequence),
      groups,
      sequence,
    });
    for (const [id, state] of groups) this.lastCaptured.set(id, state);
  }

  // ---- the flush pipeline ----

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.segmentIdle) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.startFlush();
    });
  }

  private startFlush(): void {
    const done = this.nextFlush;
    if (!this.segmentIdle || done === undefined || this.batch.isEmpty) return;
    if (this.failure !== undefined) {
      done.reject(this.failure);
      this.nextFlush = undefined;
      return;
    }
    const batch = this.batch;
    this.batch = new StagedBatch(this.spareBytes);
    this.spareBytes = undefined;
    this.nextFlush = undefined;
    const lowered = this.acknowledgedLoweredBy(batch);
    const update = this.captureAcknowledged(batch);
    this.segmentIdle = false;
    this.lastFlushDone = done.promise;
    this.runFlush(batch, update, lowered).then(done.resolve, (error: unknown) => {
      done.reject(this.fail(error));
    });
  }

  private async runFlush(
    batch: StagedBatch,
    update: AcknowledgedUpdate,
    lowered: AcknowledgedUpdate,
  ): Promise<void> {
    let end: { segment: number; position: number };
    try {
      // A batch that replaces entries the acknowledged file claims must first lower that
      // claim, durably: if power failed after the batch but before this flush's own
      // acknowledged write, recovery would find a log shorter than (or diverging from) what
      // the file says was acknowledged and disable voting for good, though nothing was lost
      // (the replaced entries were never committed). Rare: only after a leader change.
      if (lowered.groups.length > 0) await this.chainAcknowledged(lowered, undefined);
      end = await this.writeBatch(batch);
    } finally {
      this.segmentIdle = true;
    }
    this.counters.flushes += 1;
    for (const ref of batch.releases) this.segments.unpin(ref);
    this.relogStateOfOldSegments();
    this.evictCache();
    const deletable = this.segments.deletableCount();
    const oldest = (this.segments.segments[deletable] as { sequence: number }).sequence;
    // This flush's acknowledged write is queued before the next flush starts: that flush
    // may queue a lowering of the claim this one records (an overwrite staged while this
    // batch was writing), and the lowering must land after it, not be undone by it.
    const acknowledged = this.chainAcknowledged(update, {
      syncedSegment: end.segment,
      syncedPosition: end.position,
      oldestSegment: oldest,
    });
    // Whatever was staged while this flush wrote goes out now, in the next one.
    this.startFlush();
    await acknowledged;
    if (this.failure !== undefined) throw this.failure;
    this.queueCleanup(oldest, batch);
  }

  private markSnapshotObsolete(name: string): void {
    this.batch.obsoleteSnapshotFiles.push(name);
    this.obsoleteSnapshotOwner.set(name, this.batch);
  }

  /** The obsolete snapshot files of a durable batch that no later batch wrote or claimed. */
  private snapshotFilesToDelete(batch: StagedBatch): string[] {
    const names = batch.obsoleteSnapshotFiles.filter(
      (name) => this.obsoleteSnapshotOwner.get(name) === batch,
    );
    for (const name of names) this.obsoleteSnapshotOwner.delete(name);
    return names;
  }

  /** Phase 1: snapshot files, roll if needed, one write of the batch, one fdatasync. */
  private async writeBatch(batch: StagedBatch): Promise<{ segment: number; position: number }> {
    await this.snapshots.write(batch.snapshotFiles);
    let segment = this.segments.active;
    const bytes = batch.bytes.view();
    if (
      segment.size > recordHeaderBytes + 8 &&
      segment.size + bytes.byteLength > this.segmentBytes
    ) {
      segment = await this.segments.roll();
    }
    const position = segment.size;
    if (bytes.byteLength > 0) {
      // One completion, not a write's then an fdatasync's (see WalFile.writeDurable).
      await writeDurably(segment.file, bytes, position);
      segment.size += bytes.byteLength;
      this.locateRefs(batch, segment.sequence, position);
      this.counters.segmentSyncs += 1;
      this.counters.bytesWritten += bytes.byteLength;
      this.counters.recordsWritten += batch.recordCount;
    }
    batch.bytes.reset();
    this.spareBytes = batch.bytes;
    return { segment: segment.sequence, position: segment.size };
  }

  private locateRefs(batch: StagedBatch, sequence: number, position: number): void {
    const refs = batch.refs;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as RecordRef;
      ref.segment = sequence;
      ref.position = position + (batch.refOffsets[i] as number);
      if (ref.live) this.segments.pin(ref);
    }
  }

  /** Acknowledged-file writes go one at a time, in the order asked. */
  private chainAcknowledged(
    update: AcknowledgedUpdate,
    node: AcknowledgedNode | undefined,
  ): Promise<void> {
    const written = this.acknowledgedChain.then(() => this.writeAcknowledged(update, node));
    this.acknowledgedChain = written.catch(() => {});
    return written;
  }

  /**
   * Phase 2: record the durable state in the acknowledged file (one write, one fdatasync).
   * Without `node` (a lowering ahead of a batch), the synced position stays as it was.
   */
  private async writeAcknowledged(
    update: AcknowledgedUpdate,
    node: AcknowledgedNode | undefined,
  ): Promise<void> {
    if (this.failure !== undefined) return;
    for (const group of update.removed) this.acknowledged.removeGroup(group);
    for (const [group, state] of update.groups) this.acknowledged.setGroup(group, state);
    if (node !== undefined) this.acknowledged.setNode(node);
    await this.acknowledged.flush();
    this.counters.acknowledgedSyncs += 1;
  }

  private noteReplaced(group: GroupId, index: number): void {
    const known = this.batch.replacedFrom.get(group);
    if (known === undefined || index < known) this.batch.replacedFrom.set(group, index);
  }

  /**
   * For each group whose entries this batch replaces below what the acknowledged file will
   * claim once earlier writes land: that claim cut to the entry before the first replaced
   * one, which the log holds both before and after the batch.
   */
  private acknowledgedLoweredBy(batch: StagedBatch): AcknowledgedUpdate {
    const groups: [GroupId, AcknowledgedGroup][] = [];
    for (const [id, from] of batch.replacedFrom) {
      const claimed = this.lastCaptured.get(id);
      const storage = this.storages.get(id);
      if (claimed === undefined || storage === undefined || storage.fault !== undefined) continue;
      if (claimed.ackIndex < from) continue;
      const kept = from - 1;
      const lowered = { ...claimed, ackIndex: kept, ackTerm: storage.log.term(kept) ?? 0 };
      groups.push([id, lowered]);
      this.lastCaptured.set(id, lowered);
    }
    return { groups, removed: [] };
  }

  private captureAcknowledged(batch: StagedBatch): AcknowledgedUpdate {
    const groups: [GroupId, AcknowledgedGroup][] = [];
    for (const id of batch.touchedGroups) {
      const storage = this.storages.get(id);
      if (storage === undefined || storage.fault !== undefined) continue;
      const state = this.acknowledgedStateOf(storage);
      groups.push([id, state]);
      this.lastCaptured.set(id, state);
    }
    for (const id of batch.removedGroups) this.lastCaptured.delete(id);
    return { groups, removed: [...batch.removedGroups] };
  }

  private acknowledgedStateOf(storage: GroupStorage): AcknowledgedGroup {
    const log = storage.log;
    if (storage.votingDisabledUntilIndex <= log.lastIndex) storage.votingDisabledUntilIndex = 0;
    return {
      ackIndex: log.lastIndex,
      ackTerm: log.term(log.lastIndex) ?? 0,
      term: log.hardState.term,
      vote: log.hardState.vote,
      votingDisabledUntilIndex: storage.votingDisabledUntilIndex,
    };
  }

  private syncedNode(oldestSegment: number): AcknowledgedNode {
    const active = this.segments.active;
    return { syncedSegment: active.sequence, syncedPosition: active.size, oldestSegment };
  }

  /** Deletes segments nothing needs (after the acknowledged file recorded it) and old snapshots. */
  private queueCleanup(oldestSegment: number, batch: StagedBatch): void {
    this.cleanupChain = this.cleanupChain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        let count = 0;
        const segments = this.segments.segments;
        while (
          count < segments.length - 1 &&
          (segments[count] as { sequence: number }).sequence < oldestSegment
        ) {
          count += 1;
        }
        await this.segments.deleteOldest(Math.min(count, this.segments.deletableCount()));
        await this.snapshots.remove(this.snapshotFilesToDelete(batch));
      } catch (error) {
        this.fail(error);
      }
    });
  }

  /**
   * After every flush: hard states, configs, bases and snapshot records that alone keep an
   * older segment alive are written again, and the next flush starts even if nobody asked
   * for one, so that segment goes then. Waiting for a roll or a caller's sync would keep it
   * for good on an idle node (nothing rolls, nothing syncs), however well its groups are
   * compacted. Each segment is looked at once: state records are only ever written to the
   * active segment, so what is left after (a fenced group's records, or superseded ones
   * whose release is staged) is never relogged, and the flush started here writes the
   * staged releases too.
   */
  private relogStateOfOldSegments(): void {
    const freeable = new Set<number>();
    const segments = this.segments.segments;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i] as (typeof segments)[number];
      if (segment.stateRelogged || segment.entryRefs > 0 || segment.stateRefs === 0) continue;
      segment.stateRelogged = true;
      freeable.add(segment.sequence);
    }
    if (freeable.size === 0) return;
    const pins = (ref: RecordRef | undefined) => ref !== undefined && freeable.has(ref.segment);
    for (const storage of this.storages.values()) {
      const log = storage.log;
      if (storage.fault !== undefined) continue;
      if (pins(log.hardStateRef)) this.stageHardState(log, log.hardState);
      if (pins(log.configRef)) this.stageConfig(log, log.config);
      if (pins(log.snapshotRef) && log.snapshotMetadata !== undefined)
        this.relogSnapshot(log, log.snapshotMetadata);
      if (pins(log.baseRef)) this.relogBase(log);
    }
    if (!this.closed && !this.batch.isEmpty) this.nextFlush ??= deferred();
  }

  private relogSnapshot(log: GroupLog, metadata: SnapshotMetadata): void {
    const ref = new RecordRef(false);
    const body = {
      index: metadata.index,
      term: metadata.term,
      resetLog: false,
      config: metadata.config,
    };
    this.encode(RecordKind.Snapshot, log.id, ref, (out) => writeSnapshotBody(out, body));
    this.swap(log, 'snapshotRef', ref);
  }

  private relogBase(log: GroupLog): void {
    const ref = new RecordRef(false);
    this.encode(RecordKind.Compact, log.id, ref, (out) => writePositionBody(out, log.base));
    this.swap(log, 'baseRef', ref);
  }

  // ---- helpers ----

  private encode(
    kind: RecordKind,
    group: GroupId,
    refs: RecordRef | readonly RecordRef[],
    writeBody: (out: StagedBatch['bytes']) => void,
  ): void {
    const batch = this.batch;
    const start = beginRecord(batch.bytes, kind, group);
    writeBody(batch.bytes);
    finishRecord(batch.bytes, start);
    const size = batch.bytes.length - start;
    for (const ref of Array.isArray(refs) ? refs : [refs]) {
      ref.size = size;
      batch.addRef(ref, start);
    }
    if (Array.isArray(refs)) batch.recordCount -= refs.length - 1;
  }

  private swap(
    log: GroupLog,
    slot: 'hardStateRef' | 'configRef' | 'baseRef' | 'snapshotRef',
    ref: RecordRef,
  ): void {
    const previous = log[slot];
    if (previous !== undefined) this.release(previous);
    log[slot] = ref;
  }

  private addGroup(log: GroupLog, recovery: GroupRecovery | undefined): GroupStorage {
    const storage = new GroupStorage(
      log,
      this,
      recovery ?? {
        group: log.id,
        lastIndex: log.lastIndex,
        votingDisabledUntilIndex: 0,
        reasons: [],
        fault: undefined,
      },
    );
    this.storages.set(log.id, storage);
    return storage;
  }

  private evictCache(): void {
    if (this.cacheBytesHeld <= this.cacheBytesMax) return;
    for (const log of this.appendOrder.values()) {
      if (this.cacheBytesHeld <= this.cacheBytesMax) return;
      log.evictCacheThrough(Number.MAX_SAFE_INTEGER);
    }
  }

  private fenceGroup(group: GroupId, error: RaftStorageError): RaftStorageError {
    const storage = this.storages.get(group);
    if (storage !== undefined && storage.fault === undefined) {
      storage.fault = error;
      this.logger?.warn('wal-group-fenced', { group, error: error.message });
    }
    return error;
  }

  private fail(error: unknown): RaftStorageError {
    if (this.failure === undefined) {
      this.failure =
        error instanceof RaftStorageError
          ? error
          : new RaftStorageError(
              'IO',
              `WAL stopped: ${(error as Error)?.message ?? error}`,
              undefined,
              { cause: error },
            );
      this.logger?.warn('wal-failed', { error: this.failure.message });
      const waiting = this.nextFlush;
      this.nextFlush = undefined;
      waiting?.reject(this.failure);
    }
    return this.failure;
  }

  private checkOpen(): void {
    if (this.closed) throw new RaftStorageError('CLOSED', 'the WAL is closed');
  }
}

function summarize(entries: readonly Entry[]) {
  const first = entries[0] as Entry;
  let termChanges: number[] | undefined;
  let termLast = first.term;
  for (let i = 1; i < entries.length; i++) {
    const term = (entries[i] as Entry).term;
    if (term !== termLast) {
      termChanges ??= [];
      termChanges.push(i, term);
    }
    termLast = term;
  }
  return { indexFirst: first.index, count: entries.length, termFirst: first.term, termChanges };
}

function toBuffer(bytes: Uint8Array | undefined): Buffer | undefined {
  return bytes === undefined
    ? undefined
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
