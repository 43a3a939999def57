/**
 * A worker process's runtime: one client to the cluster, the offset store, and the tasks
 * running here. Which tasks run here is decided by a herder (standalone: all of them;
 * distributed: those in this worker's task slots).
 */
import { type Admin, Client, type Producer } from '@tributary/client';
import type { ConnectorConfig } from '../config/connector-config.ts';
import type { Logger } from './logger.ts';
import { OffsetStore } from './offset-store.ts';
import { TaskHandle, type TaskStatus } from './task-handle.ts';

export interface WorkerOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly workerId: string;
  readonly offsetsTopic: string;
  readonly offsetsTopicPartitions: number;
  readonly log: Logger;
  readonly requestTimeoutMs?: number;
}

export class Worker {
  private readonly tasks = new Map<string, TaskHandle>();
  private readonly listeners = new Set<(status: TaskStatus) => void>();

  private constructor(
    readonly options: WorkerOptions,
    readonly client: Client,
    readonly admin: Admin,
    /** Shared by the framework's own writes (offsets, configs, statuses). */
    readonly producer: Producer,
    readonly offsets: OffsetStore,
  ) {}

  static async connect(options: WorkerOptions, signal?: AbortSignal): Promise<Worker> {
    const clientLog = options.log.child({ component: 'client' });
    const client = new Client({
      clientId: options.clientId,
      brokers: [...options.brokers],
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      // The client's own warnings and errors go to the worker's log; its chatter does not.
      logger: { debug() {}, info() {}, warn: clientLog.warn, error: clientLog.error },
    });
    const admin = client.admin();
    const producer = client.producer({ lingerMs: 0 });
    const callOptions = signal === undefined ? {} : { signal };
    try {
      await admin.connect(callOptions);
      await producer.connect(callOptions);
      const offsets = new OffsetStore(
        client,
        admin,
        producer,
        options.offsetsTopic,
        options.offsetsTopicPartitions,
      );
      await offsets.open(signal);
      return new Worker(options, client, admin, producer, offsets);
    } catch (error) {
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      throw error;
    }
  }

  get workerId(): string {
    return this.options.workerId;
  }

  onStatus(listener: (status: TaskStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  startTask(config: ConnectorConfig, index: number, taskConfig: unknown, paused: boolean): void {
    const handle = new TaskHandle(
      {
        client: this.client,
        admin: this.admin,
        offsets: this.offsets,
        workerId: this.workerId,
        log: this.options.log,
      },
      config,
      index,
      taskConfig,
      (status) => {
        for (const listener of this.listeners) listener(status);
      },
      { paused },
    );
    if (this.tasks.has(handle.id)) throw new Error(`task ${handle.id} is running already`);
    this.tasks.set(handle.id, handle);
    handle.start();
  }

  async stopTask(id: string): Promise<void> {
    const handle = this.tasks.get(id);
    if (handle === undefined) return;
    this.tasks.delete(id);
    await handle.stop();
  }

  async stopConnector(name: string): Promise<void> {
    await Promise.all(this.handlesOf(name).map((handle) => this.stopTask(handle.id)));
  }

  task(id: string): TaskHandle | undefined {
    return this.tasks.get(id);
  }

  handlesOf(name: string): TaskHandle[] {
    return [...this.tasks.values()].filter((handle) => handle.config.name === name);
  }

  allHandles(): TaskHandle[] {
    return [...this.tasks.values()];
  }

  taskStatuses(name: string): TaskStatus[] {
    return this.handlesOf(name)
      .map((handle) => handle.status())
      .sort((a, b) => a.task - b.task);
  }

  async close(): Promise<void> {
    await Promise.all([...this.tasks.keys()].map((id) => this.stopTask(id)));
    await this.producer.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }
}
