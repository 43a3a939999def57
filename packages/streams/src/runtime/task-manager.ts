/**
 * Which tasks this instance runs. The group assigns partitions; a task runs here once every
 * input partition it needs is assigned. Revoked tasks are committed and suspended: if the
 * next assignment gives them back they resume as they are (nobody else ran them meanwhile,
 * since the protocol is eager), otherwise they are closed. Lost tasks (the session expired)
 * are closed without a commit; their next owner restores them from the changelog.
 */

import type { RestoreReport } from '../engine/commit.ts';
import type { StreamRecord } from '../engine/record.ts';
import { type DeserializationErrorPolicy, resolveTopic, Task } from '../engine/task.ts';
import type { Topology } from '../engine/topology.ts';
import type { Position } from '../state/changelog.ts';
import { ActiveTask, type ChangelogSource } from './active-task.ts';
import type { PortTopicPartition } from './client-port.ts';
import type { OutputSender } from './output-sender.ts';
import type { StateDirectory } from './state-directory.ts';

export interface TaskManagerOptions {
  readonly topology: Topology;
  readonly applicationId: string;
  readonly sender: OutputSender;
  readonly stateDirectory: StateDirectory | undefined;
  readonly deserializationErrors: DeserializationErrorPolicy;
  readonly onDropped?: (reason: string, record: StreamRecord) => void;
  readonly onSkipped?: (reason: string) => void;
}

export class TaskManager {
  private readonly active = new Map<string, ActiveTask>();
  private readonly suspended = new Map<string, ActiveTask>();
  /** topic → subtopology id. */
  private readonly subtopologyOf = new Map<string, number>();
  droppedRecords = 0;

  constructor(private readonly options: TaskManagerOptions) {
    for (const sub of options.topology.subtopologies) {
      for (const ref of sub.sourceTopics)
        this.subtopologyOf.set(resolveTopic(options.applicationId, ref), sub.id);
    }
  }

  get tasks(): readonly ActiveTask[] {
    return [...this.active.values()];
  }

  taskFor(topic: string, partition: number): ActiveTask | undefined {
    const sub = this.subtopologyOf.get(topic);
    return sub === undefined ? undefined : this.active.get(`${sub}_${partition}`);
  }

  /** Task ids fully covered by `partitions`. */
  completeTasks(
    partitions: readonly PortTopicPartition[],
  ): { subtopology: number; partition: number }[] {
    const assigned = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    const candidates = new Map<string, { subtopology: number; partition: number }>();
    for (const p of partitions) {
      const sub = this.subtopologyOf.get(p.topic);
      if (sub !== undefined)
        candidates.set(`${sub}_${p.partition}`, { subtopology: sub, partition: p.partition });
    }
    return [...candidates.values()].filter(({ subtopology, partition }) => {
      const sub = this.options.topology.subtopologies[subtopology];
      return (
        sub?.sourceTopics.every((ref) =>
          assigned.has(`${resolveTopic(this.options.applicationId, ref)}\u0000${partition}`),
        ) ?? false
      );
    });
  }

  /** Runs the tasks of a new assignment: resumes suspended ones, restores new ones. */
  async assign(
    partitions: readonly PortTopicPartition[],
    committed: (topics: readonly string[], partition: number) => Promise<Position>,
    readChangelog: ChangelogSource,
  ): Promise<RestoreReport[]> {
    const reports: RestoreReport[] = [];
    const wanted = this.completeTasks(partitions);
    const wantedIds = new Set(wanted.map((t) => `${t.subtopology}_${t.partition}`));
    for (const [id, task] of this.suspended) {
      if (wantedIds.has(id)) this.active.set(id, task);
      else task.close();
    }
    this.suspended.clear();
    const created = wanted
      .filter(({ subtopology, partition }) => !this.active.has(`${subtopology}_${partition}`))
      .map(({ subtopology, partition }) => this.create(subtopology, partition));
    // New tasks restore concurrently; a task runs only once its restore is complete. If
    // one restore fails, none of the new tasks runs (the caller may call `assign` again).
    const restored = await Promise.all(
      created.map(async (task) => {
        const positions = await committed(task.task.inputTopics, task.task.partition);
        return { task, reports: await task.restore(positions, readChangelog) };
      }),
    ).catch((error: unknown) => {
      for (const task of created) task.close();
      throw error;
    });
    for (const { task, reports: taskReports } of restored) {
      reports.push(...taskReports);
      this.active.set(task.id, task);
    }
    return reports;
  }

  private create(subtopology: number, partition: number): ActiveTask {
    const task = new Task({
      applicationId: this.options.applicationId,
      subtopology: this.options.topology.subtopologies[subtopology] as Task['subtopology'],
      partition,
      collector: { send: (record) => this.options.sender.collect(record) },
      deserializationErrors: this.options.deserializationErrors,
      onDropped: (reason, record) => {
        this.droppedRecords += 1;
        this.options.onDropped?.(reason, record);
      },
      onSkipped: (reason) => this.options.onSkipped?.(reason),
    });
    return new ActiveTask(task, this.options.stateDirectory);
  }

  /** Moves the tasks touching `partitions` to the suspended set (after the caller committed them). */
  suspend(partitions: readonly PortTopicPartition[]): void {
    for (const p of partitions) {
      const task = this.taskFor(p.topic, p.partition);
      if (!task) continue;
      this.active.delete(task.id);
      this.suspended.set(task.id, task);
    }
  }

  /** Closes the tasks touching `partitions` without committing (they may belong to someone else now). */
  lose(partitions: readonly PortTopicPartition[]): void {
    for (const p of partitions) {
      const task = this.taskFor(p.topic, p.partition);
      if (!task) continue;
      this.active.delete(task.id);
      task.close();
    }
  }

  /** Closes tasks by id without committing (their ownership is in doubt). */
  drop(ids: readonly string[]): void {
    for (const id of ids) {
      const task = this.active.get(id) ?? this.suspended.get(id);
      this.active.delete(id);
      this.suspended.delete(id);
      task?.close();
    }
  }

  closeAll(): void {
    for (const task of [...this.active.values(), ...this.suspended.values()]) task.close();
    this.active.clear();
    this.suspended.clear();
  }
}
