/**
 * An in-process model of the runtime's durability protocol, for crash properties: topics
 * are arrays, one instance runs one task per sub-topology (partition 0), and the test
 * decides, step by step, which task processes a record, when a task commits, and when the
 * instance crashes. A crash keeps whatever a real cluster could have kept: output records
 * already sent (a producer may send before the commit), and, when it strikes during a
 * commit, any prefix of each changelog's new records — but never the offset commit of a
 * commit whose changelog writes did not all finish. The restarted instance restores with
 * the same `restoreTask` the runtime uses.
 */
import { prepareCommit, restoreTask } from '../../src/engine/commit.ts';
import type { OutputRecord } from '../../src/engine/record.ts';
import { Task } from '../../src/engine/task.ts';
import type { Topology } from '../../src/engine/topology.ts';
import type { ChangelogRecord } from '../../src/state/changelog.ts';

export interface SimRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: OutputRecord['headers'];
}

/** mulberry32: a tiny seeded generator, so a failing run replays from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimCluster {
  readonly topics = new Map<string, SimRecord[]>();
  readonly committed = new Map<string, number>();

  log(topic: string): SimRecord[] {
    let log = this.topics.get(topic);
    if (!log) {
      log = [];
      this.topics.set(topic, log);
    }
    return log;
  }
}

interface TaskState {
  readonly task: Task;
  /** Outputs sent but not yet written, per topic (written in order, so a topic once held stays held). */
  readonly held: Map<string, SimRecord[]>;
}

export class SimInstance {
  private tasks: TaskState[] = [];
  restores = 0;
  undone = 0;

  constructor(
    private readonly topology: Topology,
    private readonly cluster: SimCluster,
    private readonly random: () => number,
    readonly applicationId = 'sim',
  ) {}

  async start(): Promise<void> {
    this.tasks = [];
    for (const subtopology of this.topology.subtopologies) {
      const held = new Map<string, SimRecord[]>();
      const task = new Task({
        applicationId: this.applicationId,
        subtopology,
        partition: 0,
        collector: { send: (record) => this.send(held, record) },
      });
      const reports = await restoreTask(task, this.cluster.committed, (topic) =>
        this.changelog(topic),
      );
      this.undone += reports.reduce((sum, r) => sum + r.undone, 0);
      this.tasks.push({ task, held });
    }
    this.restores += 1;
  }

  private changelog(topic: string): ChangelogRecord[] {
    return this.cluster
      .log(topic)
      .flatMap((r) => (r.key === null ? [] : [{ key: r.key, value: r.value, headers: r.headers }]));
  }

  /** A producer may write a record at once or hold it until the next flush; order per topic is kept. */
  private send(held: Map<string, SimRecord[]>, record: OutputRecord): void {
    const queue = held.get(record.topic);
    const stored: SimRecord = {
      key: record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: record.headers,
    };
    if (queue === undefined && this.random() < 0.7) this.cluster.log(record.topic).push(stored);
    else held.set(record.topic, [...(queue ?? []), stored]);
  }

  /** Processes the next record of some input of task `index`; false when it has none. */
  step(index: number): boolean {
    const state = this.tasks[index % this.tasks.length] as TaskState;
    const task = state.task;
    const ready = task.inputTopics.filter(
      (topic) => (task.position().get(topic) ?? 0) < this.cluster.log(topic).length,
    );
    if (ready.length === 0) return false;
    const topic = ready[Math.floor(this.random() * ready.length)] as string;
    const offset = task.position().get(topic) ?? 0;
    const record = this.cluster.log(topic)[offset] as SimRecord;
    task.process({ topic, partition: 0, offset, ...record });
    return true;
  }

  hasWork(): boolean {
    return this.tasks.some(({ task }) =>
      task.inputTopics.some(
        (topic) => (task.position().get(topic) ?? 0) < this.cluster.log(topic).length,
      ),
    );
  }

  private flush(state: TaskState): void {
    for (const [topic, records] of state.held) this.cluster.log(topic).push(...records);
    state.held.clear();
  }

  commit(index: number): void {
    const state = this.tasks[index % this.tasks.length] as TaskState;
    this.flush(state);
    const { changelog, position } = prepareCommit(state.task);
    for (const [topic, records] of changelog) {
      for (const r of records)
        this.cluster
          .log(topic)
          .push({ key: r.key, value: r.value, timestamp: 0, headers: r.headers });
    }
    for (const [topic, offset] of position) this.cluster.committed.set(topic, offset);
  }

  commitAll(): void {
    for (let i = 0; i < this.tasks.length; i++) this.commit(i);
  }

  /** Dies: held outputs are lost; during a commit, a prefix of each changelog's records lands. */
  crash(duringCommitOf: number | undefined): void {
    if (duringCommitOf !== undefined) {
      const state = this.tasks[duringCommitOf % this.tasks.length] as TaskState;
      this.flush(state);
      const { changelog } = prepareCommit(state.task);
      for (const [topic, records] of changelog) {
        const landed = Math.floor(this.random() * (records.length + 1));
        for (const r of records.slice(0, landed))
          this.cluster
            .log(topic)
            .push({ key: r.key, value: r.value, timestamp: 0, headers: r.headers });
      }
    }
    for (const { task } of this.tasks) task.close();
    this.tasks = [];
  }

  storeEntries(name: string): string[] {
    for (const { task } of this.tasks) {
      if (!task.stores.has(name)) continue;
      return [...task.store(name).entries()]
        .map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`)
        .sort();
    }
    throw new Error(`no store ${name}`);
  }
}
