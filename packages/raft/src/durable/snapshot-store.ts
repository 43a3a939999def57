/**
 * Snapshot files of every group, in `snapshots/`: written durably before the WAL record
 * that refers to them, read (and checked) on demand, with the most recently read ones
 * kept decoded in memory up to `snapshotCacheBytesMax`, since a leader reads the same
 * snapshot once per chunk it sends.
 */
import { join } from 'node:path';
import type { GroupId, Snapshot, SnapshotMetadata } from '../core/types.ts';
import type { WalFileSystem } from './file-system.ts';
import { snapshotCacheBytesMax } from './limits.ts';
import {
  decodeSnapshotFile,
  encodeSnapshotFile,
  parseSnapshotFileName,
  snapshotFileName,
} from './snapshot-file.ts';

export class SnapshotStore {
  /** Staged snapshots not yet written, readable meanwhile. */
  private readonly pending = new Map<string, Snapshot>();
  /** Decoded snapshots, least recently used first. */
  private readonly decoded = new Map<string, Snapshot>();
  private decodedBytes = 0;
  filesWritten = 0;

  constructor(
    private readonly fs: WalFileSystem,
    readonly directory: string,
  ) {}

  static nameOf(group: GroupId, metadata: { index: number; term: number }): string {
    return snapshotFileName({ group, index: metadata.index, term: metadata.term });
  }

  stagePending(group: GroupId, snapshot: Snapshot): void {
    this.pending.set(SnapshotStore.nameOf(group, snapshot.metadata), snapshot);
  }

  /** Writes files durably: each to a temporary name, fdatasync, rename; then one dir fsync. */
  async write(files: readonly { group: GroupId; snapshot: Snapshot }[]): Promise<void> {
    if (files.length === 0) return;
    for (const { group, snapshot } of files) {
      const name = SnapshotStore.nameOf(group, snapshot.metadata);
      const temporary = join(this.directory, `${name}.tmp`);
      await this.fs.remove(temporary);
      const file = await this.fs.open(temporary, { create: true });
      await file.write(encodeSnapshotFile(group, snapshot), 0);
      await file.datasync();
      await file.close();
      await this.fs.rename(temporary, join(this.directory, name));
      this.filesWritten += 1;
    }
    await this.fs.syncDirectory(this.directory);
    for (const { group, snapshot } of files) {
      const name = SnapshotStore.nameOf(group, snapshot.metadata);
      this.pending.delete(name);
      this.remember(name, snapshot);
    }
  }

  /** The snapshot, or undefined if its file is missing or damaged. */
  read(group: GroupId, metadata: SnapshotMetadata): Snapshot | undefined {
    const name = SnapshotStore.nameOf(group, metadata);
    const known = this.pending.get(name) ?? this.decoded.get(name);
    if (known !== undefined) {
      this.remember(name, known);
      return known;
    }
    const bytes = this.fs.readFileSync(join(this.directory, name));
    if (bytes === undefined) return undefined;
    const snapshot = decodeSnapshotFile(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      {
        group,
        index: metadata.index,
        term: metadata.term,
      },
    );
    if (snapshot !== undefined) this.remember(name, snapshot);
    return snapshot;
  }

  async remove(names: readonly string[]): Promise<void> {
    for (const name of names) {
      this.forget(name);
      await this.fs.remove(join(this.directory, name));
    }
  }

  /**
   * At open: returns the groups whose referenced snapshot file is missing, and removes
   * the files nothing refers to (temporary files, snapshots superseded before a crash),
   * except those of fenced groups, which are kept as evidence.
   */
  async reconcile(
    referenced: ReadonlyMap<GroupId, string>,
    fenced: ReadonlySet<GroupId>,
  ): Promise<Map<GroupId, string>> {
    const present = new Set(await this.fs.list(this.directory));
    const missing = new Map<GroupId, string>();
    for (const [group, name] of referenced) {
      if (!present.has(name) && !fenced.has(group)) missing.set(group, name);
    }
    const wanted = new Set(referenced.values());
    const orphans = [...present].filter((name) => {
      const group = parseSnapshotFileName(name)?.group;
      return !wanted.has(name) && !(group !== undefined && fenced.has(group));
    });
    await this.remove(orphans);
    return missing;
  }

  private remember(name: string, snapshot: Snapshot): void {
    this.forget(name);
    if (snapshot.data.byteLength > snapshotCacheBytesMax) return;
    this.decoded.set(name, snapshot);
    this.decodedBytes += snapshot.data.byteLength;
    for (const [oldest, old] of this.decoded) {
      if (this.decodedBytes <= snapshotCacheBytesMax) break;
      this.decoded.delete(oldest);
      this.decodedBytes -= old.data.byteLength;
    }
  }

  private forget(name: string): void {
    const known = this.decoded.get(name);
    if (known === undefined) return;
    this.decoded.delete(name);
    this.decodedBytes -= known.data.byteLength;
  }
}
