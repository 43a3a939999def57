/**
 * A task the instance runs: the engine's `Task`, its local store files (when the
 * application has a state directory), and whether it processed anything since its last
 * commit. Restoring loads local files first, then the changelog's tail, as of the group's
 * committed offsets; afterwards the local files are rewritten to match.
 */
import { type RestoreReport, restoreTask } from '../engine/commit.ts';
import { changelogTopic, type Task } from '../engine/task.ts';
import type { ChangelogRecord, Position } from '../state/changelog.ts';
import type { FileChange, StoreFile } from '../state/store-file.ts';
import type { PortRecordMetadata } from './client-port.ts';
import type { StateDirectory } from './state-directory.ts';

/** The records of a changelog partition from an offset; `endOffset` is set once read to the end. */
export type ChangelogSource = (
  topic: string,
  partition: number,
  fromOffset: number,
) => AsyncIterable<ChangelogRecord> & { readonly endOffset: number | undefined };

export class ActiveTask {
  dirty = false;
  private readonly files = new Map<string, StoreFile>();
  /** Changelog topic → store name, for the stores kept on disk. */
  private readonly storeOfTopic = new Map<string, string>();

  constructor(
    readonly task: Task,
    stateDirectory: StateDirectory | undefined,
  ) {
    if (!stateDirectory) return;
    for (const name of task.stores.keys()) {
      if (!task.isLogged(name)) continue;
      this.files.set(name, stateDirectory.storeFile(task.id, name));
      this.storeOfTopic.set(changelogTopic(task.applicationId, name), name);
    }
  }

  get id(): string {
    return this.task.id;
  }

  /** Local files, then the changelog from where they end; returns what the restore did. */
  async restore(committed: Position, readChangelog: ChangelogSource): Promise<RestoreReport[]> {
    const startOffsets = new Map<string, number>();
    for (const [name, file] of this.files) {
      const loaded = file.load();
      if (!loaded) {
        file.wipe();
        continue;
      }
      const store = this.task.store(name);
      for (const [key, value] of loaded.entries) store.loadEntry(Buffer.from(key, 'latin1'), value);
      startOffsets.set(changelogTopic(this.task.applicationId, name), loaded.changelogOffset);
    }
    const ends = new Map<string, number>();
    const reports = await restoreTask(this.task, committed, (topic, partition) =>
      this.tracked(
        readChangelog(topic, partition, startOffsets.get(topic) ?? 0),
        topic,
        ends,
        startOffsets.get(topic) ?? 0,
      ),
    );
    for (const [name, file] of this.files) {
      const topic = changelogTopic(this.task.applicationId, name);
      file.rewrite(
        this.task.store(name).entries(),
        ends.get(topic) ?? startOffsets.get(topic) ?? 0,
      );
    }
    if (reports.some((r) => r.undone > 0)) this.dirty = true;
    return reports;
  }

  /** Passes records through, remembering the offset after the last one (for the local checkpoint). */
  private async *tracked(
    records: AsyncIterable<ChangelogRecord> & { readonly endOffset: number | undefined },
    topic: string,
    ends: Map<string, number>,
    from: number,
  ) {
    yield* records;
    ends.set(topic, records.endOffset ?? from);
  }

  /** After a commit: append each store's changes to its local file. */
  persist(
    changelog: ReadonlyMap<string, readonly ChangelogRecord[]>,
    metadata: readonly PortRecordMetadata[],
  ): void {
    for (const [topic, records] of changelog) {
      const name = this.storeOfTopic.get(topic);
      const file = name === undefined ? undefined : this.files.get(name);
      if (!file || name === undefined) continue;
      const written = metadata.find(
        (m) => m.topicName === topic && m.partition === this.task.partition,
      );
      if (!written) continue;
      const changes: FileChange[] = records.map((r) => ({ key: r.key, value: r.value }));
      const end = Number(written.lastOffset) + 1;
      file.append(changes, end);
      const store = this.task.store(name);
      if (file.wantsRewrite(store.size() * 64)) file.rewrite(store.entries(), end);
    }
  }

  close(): void {
    this.task.close();
    for (const file of this.files.values()) file.close();
  }
}
