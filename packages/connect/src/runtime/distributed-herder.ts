/**
 * Distributed mode: several workers with the same topic prefix form one connect cluster.
 * Connector configurations live in the configs topic (any worker's REST API writes there),
 * tasks are spread over the workers through the task-slots group (`task-slots.ts`), and
 * task statuses go to the status topic. Each worker reconciles what runs here with what
 * should, whenever the configurations or its slots change; slots taken away are stopped
 * (positions stored, offsets committed) before the group hands them to another worker.
 */
import type { Consumer } from '@tributary/client';
import type { ConnectorConfig } from '../config/connector-config.ts';
import type { PluginRegistry } from '../config/plugin-registry.ts';
import { ConnectorExistsError, ConnectorNotFoundError, errorMessage } from '../errors.ts';
import { ConfigLog, type StoredConnector } from './config-log.ts';
import {
  type ConnectorInfo,
  type ConnectorStatus,
  type Herder,
  infoOf,
  type TaskStatusView,
  validateConnector,
} from './herder.ts';
import type { Logger } from './logger.ts';
import { StatusLog } from './status-log.ts';
import { slotOf } from './task-slots.ts';
import { ensureTopic } from './topics.ts';
import type { Worker } from './worker.ts';

export interface DistributedOptions {
  readonly topics: { readonly configs: string; readonly status: string; readonly tasks: string };
  readonly taskSlots: number;
  readonly sessionTimeoutMs: number;
  readonly log: Logger;
}

interface DesiredTask {
  readonly config: ConnectorConfig;
  readonly index: number;
  readonly taskConfig: unknown;
  readonly paused: boolean;
  /** Changes when the configuration changes or a restart is asked for. */
  readonly fingerprint: string;
}

export class DistributedHerder implements Herder {
  readonly mode = 'distributed';
  private readonly slots = new Set<number>();
  private readonly running = new Map<string, { fingerprint: string; paused: boolean }>();
  private reconciling: Promise<void> = Promise.resolve();
  private slotConsumer: Consumer | undefined;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    readonly plugins: PluginRegistry,
    private readonly configs: ConfigLog,
    private readonly statuses: StatusLog,
    private readonly options: DistributedOptions,
  ) {}

  static async start(
    worker: Worker,
    plugins: PluginRegistry,
    options: DistributedOptions,
  ): Promise<DistributedHerder> {
    const log = options.log.child({ worker: worker.workerId });
    const configs = new ConfigLog(
      worker.client,
      worker.admin,
      worker.producer,
      options.topics.configs,
      log,
    );
    const statuses = new StatusLog(
      worker.client,
      worker.admin,
      worker.producer,
      options.topics.status,
      log,
    );
    const herder = new DistributedHerder(worker, plugins, configs, statuses, { ...options, log });
    await configs.start({ catchUp: true });
    await statuses.start({ catchUp: false });
    worker.onStatus((status) => statuses.report(status));
    configs.onChange(() => herder.reconcileSoon());
    await herder.joinSlots();
    return herder;
  }

  get workerId(): string {
    return this.worker.workerId;
  }

  private async joinSlots(): Promise<void> {
    await ensureTopic(this.worker.admin, {
      topic: this.options.topics.tasks,
      partitions: this.options.taskSlots,
      compacted: false,
    });
    const consumer = this.worker.client.consumer({
      groupId: this.options.topics.tasks,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(this.options.sessionTimeoutMs / 10)),
      rebalanceListener: {
        onPartitionsAssigned: (partitions) => this.changeSlots(partitions, true),
        onPartitionsRevoked: (partitions) => this.changeSlots(partitions, false),
        onPartitionsLost: (partitions) => this.changeSlots(partitions, false),
      },
    });
    this.slotConsumer = consumer;
    await consumer.connect();
    consumer.subscribe({ topics: [this.options.topics.tasks] });
    await consumer.run({ eachMessage: async () => {} });
  }

  /** Applies a slot change and waits until the tasks it moves have started or stopped. */
  private async changeSlots(
    partitions: readonly { partition: number }[],
    owned: boolean,
  ): Promise<void> {
    for (const { partition } of partitions) {
      if (owned) this.slots.add(partition);
      else this.slots.delete(partition);
    }
    this.options.log.info(owned ? 'task slots assigned' : 'task slots released', {
      slots: partitions.map((p) => p.partition),
    });
    await this.reconcileSoon();
  }

  private reconcileSoon(): Promise<void> {
    this.reconciling = this.reconciling
      .then(() => this.reconcile())
      .catch((error: unknown) => {
        this.options.log.error('reconciling tasks failed', { error: errorMessage(error) });
      });
    return this.reconciling;
  }

  /** Stops what should not run here (or runs with an old configuration), starts what should. */
  private async reconcile(): Promise<void> {
    const desired = this.closed ? new Map<string, DesiredTask>() : this.desiredTasks();
    const stopping: Promise<void>[] = [];
    for (const [id, state] of this.running) {
      if (desired.get(id)?.fingerprint === state.fingerprint) continue;
      this.running.delete(id);
      stopping.push(this.worker.stopTask(id));
    }
    await Promise.all(stopping);
    for (const [id, task] of desired) {
      const state = this.running.get(id);
      if (state === undefined) {
        this.worker.startTask(task.config, task.index, task.taskConfig, task.paused);
        this.running.set(id, { fingerprint: task.fingerprint, paused: task.paused });
      } else if (state.paused !== task.paused) {
        const handle = this.worker.task(id);
        if (task.paused) await handle?.pause();
        else handle?.resume();
        state.paused = task.paused;
      }
    }
  }

  private desiredTasks(): Map<string, DesiredTask> {
    const desired = new Map<string, DesiredTask>();
    for (const [name, stored] of this.configs.all()) {
      let validated: ReturnType<typeof validateConnector>;
      try {
        validated = validateConnector(stored.config, this.plugins);
      } catch (error) {
        this.options.log.error('a stored connector configuration is invalid here', {
          connector: name,
          error: errorMessage(error),
        });
        continue;
      }
      const fingerprint = `${JSON.stringify(stored.config)}#${stored.restarts}`;
      validated.tasks.forEach((taskConfig, index) => {
        if (!this.slots.has(slotOf(name, index, this.options.taskSlots))) return;
        desired.set(`${name}/${index}`, {
          config: validated.config,
          index,
          taskConfig,
          paused: stored.target === 'PAUSED',
          fingerprint,
        });
      });
    }
    return desired;
  }

  private stored(name: string): StoredConnector {
    const stored = this.configs.get(name);
    if (stored === undefined) throw new ConnectorNotFoundError(name);
    return stored;
  }

  async list(): Promise<string[]> {
    return [...this.configs.all().keys()].sort();
  }

  async info(name: string): Promise<ConnectorInfo> {
    const stored = this.stored(name);
    const { config, tasks } = validateConnector(stored.config, this.plugins);
    return infoOf(config, tasks.length, stored.target);
  }

  async create(raw: unknown): Promise<ConnectorInfo> {
    const { config, tasks } = validateConnector(raw, this.plugins);
    if (this.configs.get(config.name) !== undefined) throw new ConnectorExistsError(config.name);
    await this.configs.write(config.name, { config: config.raw, target: 'RUNNING', restarts: 0 });
    return infoOf(config, tasks.length, 'RUNNING');
  }

  async put(name: string, raw: unknown): Promise<{ created: boolean; info: ConnectorInfo }> {
    const { config, tasks } = validateConnector(raw, this.plugins, name);
    const previous = this.configs.get(name);
    const target = previous?.target ?? 'RUNNING';
    await this.configs.write(name, {
      config: config.raw,
      target,
      restarts: previous?.restarts ?? 0,
    });
    return { created: previous === undefined, info: infoOf(config, tasks.length, target) };
  }

  async delete(name: string): Promise<void> {
    this.stored(name);
    await this.configs.write(name, null);
    this.statuses.forget(name);
  }

  async pause(name: string): Promise<void> {
    await this.configs.write(name, { ...this.stored(name), target: 'PAUSED' });
  }

  async resume(name: string): Promise<void> {
    await this.configs.write(name, { ...this.stored(name), target: 'RUNNING' });
  }

  async restart(name: string): Promise<void> {
    const stored = this.stored(name);
    await this.configs.write(name, { ...stored, restarts: stored.restarts + 1 });
  }

  async status(name: string): Promise<ConnectorStatus> {
    const stored = this.stored(name);
    let validated: ReturnType<typeof validateConnector>;
    try {
      validated = validateConnector(stored.config, this.plugins);
    } catch (error) {
      const type = this.plugins.find(stored.config.class)?.kind ?? 'source';
      return { name, type, connector: { state: 'FAILED', error: errorMessage(error) }, tasks: [] };
    }
    const tasks = validated.tasks.map((_, index): TaskStatusView => {
      const status =
        this.worker.task(`${name}/${index}`)?.status() ?? this.statuses.status(name, index);
      if (status === undefined) return { id: index, state: 'UNASSIGNED' };
      const { state, workerId, error, restarts } = status;
      return { id: index, state, workerId, restarts, ...(error === undefined ? {} : { error }) };
    });
    return { name, type: validated.config.plugin.kind, connector: { state: stored.target }, tasks };
  }

  async close(): Promise<void> {
    this.closed = true;
    // Leaving the group first hands the slots to the others after our tasks have stopped.
    await this.slotConsumer?.disconnect().catch(() => {});
    await this.reconcileSoon();
    await this.configs.stop();
    await this.statuses.stop();
    await this.worker.close();
  }
}
