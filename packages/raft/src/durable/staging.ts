/**
 * What has been staged since the last flush began: the encoded records (one buffer, so a
 * flush is one write call), the references their records will get once written, the
 * older records they supersede (unpinned only once this batch is durable, so that a
 * segment is never deleted while the record replacing its content is not yet on disk),
 * snapshot files to write first, and the groups whose acknowledged state changes.
 */
import type { GroupId, Snapshot } from '../core/types.ts';
import { ByteBuffer } from './byte-buffer.ts';
import type { RecordRef } from './record-ref.ts';

export interface StagedSnapshotFile {
  readonly group: GroupId;
  readonly snapshot: Snapshot;
}

export class StagedBatch {
  /** Reuses the buffer of a batch already written, so steady flushing allocates nothing. */
  constructor(readonly bytes: ByteBuffer = new ByteBuffer(256 * 1024)) {}

  /** Each new record's reference and its offset in `bytes`. */
  readonly refs: RecordRef[] = [];
  readonly refOffsets: number[] = [];
  /** Written records this batch supersedes. */
  readonly releases: RecordRef[] = [];
  readonly snapshotFiles: StagedSnapshotFile[] = [];
  /** Snapshot files this batch makes obsolete, removed once it is durable. */
  readonly obsoleteSnapshotFiles: string[] = [];
  readonly touchedGroups = new Set<GroupId>();
  /**
   * Per group, the lowest index from which this batch replaces entries the log already had
   * (an overwrite, or a log reset by an installed snapshot): the acknowledged file may not
   * claim entries from there on while the batch is being written (see `RaftWal.runFlush`).
   */
  readonly replacedFrom = new Map<GroupId, number>();
  readonly removedGroups = new Set<GroupId>();
  recordCount = 0;

  get isEmpty(): boolean {
    return this.bytes.length === 0 && this.snapshotFiles.length === 0;
  }

  addRef(ref: RecordRef, offset: number): void {
    this.refs.push(ref);
    this.refOffsets.push(offset);
    this.recordCount += 1;
  }
}
