/**
 * Standalone mode: one process runs every task of every connector; connectors come from
 * the worker's configuration file (and the REST API), source positions still go to the
 * replicated offsets topic, so a restarted process resumes where it stopped.
 */

import type { ConnectorConfig } from '../config/connector-config.ts';
import type { PluginRegistry } from '../config/plugin-registry.ts';
import { ConnectorExistsError, ConnectorNotFoundError } from '../errors.ts';
import {
  type ConnectorInfo,
  type ConnectorStatus,
  type Herder,
  infoOf,
  type TargetState,
  validateConnector,
} from './herder.ts';
import type { Worker } from './worker.ts';

interface Entry {
  readonly config: ConnectorConfig;
  readonly tasks: unknown[];
  target: TargetState;
}

export class StandaloneHerder implements Herder {
  readonly mode = 'standalone';
  private readonly connectors = new Map<string, Entry>();

  constructor(
    private readonly worker: Worker,
    readonly plugins: PluginRegistry,
  ) {}

  get workerId(): string {
    return this.worker.workerId;
  }

  private entry(name: string): Entry {
    const entry = this.connectors.get(name);
    if (entry === undefined) throw new ConnectorNotFoundError(name);
    return entry;
  }

  async list(): Promise<string[]> {
    return [...this.connectors.keys()].sort();
  }

  async info(name: string): Promise<ConnectorInfo> {
    const entry = this.entry(name);
    return infoOf(entry.config, entry.tasks.length, entry.target);
  }

  async create(raw: unknown): Promise<ConnectorInfo> {
    const { config, tasks } = validateConnector(raw, this.plugins);
    if (this.connectors.has(config.name)) throw new ConnectorExistsError(config.name);
    this.launch({ config, tasks, target: 'RUNNING' });
    return infoOf(config, tasks.length, 'RUNNING');
  }

  async put(name: string, raw: unknown): Promise<{ created: boolean; info: ConnectorInfo }> {
    const { config, tasks } = validateConnector(raw, this.plugins, name);
    const previous = this.connectors.get(name);
    if (previous !== undefined) await this.worker.stopConnector(name);
    const target = previous?.target ?? 'RUNNING';
    this.launch({ config, tasks, target });
    return { created: previous === undefined, info: infoOf(config, tasks.length, target) };
  }

  private launch(entry: Entry): void {
    this.connectors.set(entry.config.name, entry);
    entry.tasks.forEach((taskConfig, index) => {
      this.worker.startTask(entry.config, index, taskConfig, entry.target === 'PAUSED');
    });
  }

  async delete(name: string): Promise<void> {
    this.entry(name);
    this.connectors.delete(name);
    await this.worker.stopConnector(name);
  }

  async pause(name: string): Promise<void> {
    this.entry(name).target = 'PAUSED';
    await Promise.all(this.worker.handlesOf(name).map((handle) => handle.pause()));
  }

  async resume(name: string): Promise<void> {
    this.entry(name).target = 'RUNNING';
    for (const handle of this.worker.handlesOf(name)) handle.resume();
  }

  async restart(name: string): Promise<void> {
    const entry = this.entry(name);
    await this.worker.stopConnector(name);
    this.launch(entry);
  }

  async status(name: string): Promise<ConnectorStatus> {
    const entry = this.entry(name);
    const tasks = this.worker.taskStatuses(name).map((s) => ({
      id: s.task,
      state: s.state,
      workerId: s.workerId,
      restarts: s.restarts,
      ...(s.error === undefined ? {} : { error: s.error }),
    }));
    return { name, type: entry.config.plugin.kind, connector: { state: entry.target }, tasks };
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
