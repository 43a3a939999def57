/**
 * The two halves of a task's durability, shared by the runtime and the test driver.
 *
 * Commit, in this order: (1) every output record sent so far is acknowledged, (2) the
 * changelog records from `prepareCommit` are written and acknowledged, (3) the position is
 * committed as the group's offsets. Never start a commit before the previous one finished.
 *
 * Restore: every logged store is loaded from its changelog partition as of the committed
 * offsets (see `state/changelog.ts`), and processing resumes from those offsets.
 */
import {
  type ChangelogRecord,
  ChangelogRestorer,
  changelogRecords,
  type Position,
} from '../state/changelog.ts';
import { changelogTopic, type Task } from './task.ts';

export interface PreparedCommit {
  /** Changelog records per changelog topic (partition = the task's partition). */
  readonly changelog: Map<string, ChangelogRecord[]>;
  /** Next offset per input topic: what to commit once the changelog is written. */
  readonly position: Map<string, number>;
}

export function prepareCommit(task: Task): PreparedCommit {
  const position = new Map(task.position());
  const changelog = new Map<string, ChangelogRecord[]>();
  for (const [store, changes] of task.drainChanges()) {
    if (!task.isLogged(store) || changes.length === 0) continue;
    changelog.set(changelogTopic(task.applicationId, store), changelogRecords(changes, position));
  }
  return { changelog, position };
}

export interface RestoreReport {
  readonly store: string;
  readonly recordsRead: number;
  readonly keys: number;
  /** Keys whose last change belonged to an unfinished commit and was undone. */
  readonly undone: number;
}

/**
 * Loads every logged store of `task` from its changelog as of `committed`, then positions
 * the task at the committed offsets (0 where none was committed).
 */
export async function restoreTask(
  task: Task,
  committed: Position,
  readChangelog: (
    topic: string,
    partition: number,
  ) => AsyncIterable<ChangelogRecord> | Iterable<ChangelogRecord>,
): Promise<RestoreReport[]> {
  // Stores restore concurrently: each reads its own changelog partition.
  const logged = [...task.stores].filter(([name]) => task.isLogged(name));
  const reports = await Promise.all(
    logged.map(async ([name, store]): Promise<RestoreReport> => {
      const restorer = new ChangelogRestorer();
      for await (const record of readChangelog(
        changelogTopic(task.applicationId, name),
        task.partition,
      ))
        restorer.add(record);
      const { keys, undone } = restorer.applyTo(store, committed);
      return { store: name, recordsRead: restorer.recordsRead, keys, undone };
    }),
  );
  for (const topic of task.inputTopics) task.seek(topic, committed.get(topic) ?? 0);
  return reports;
}
