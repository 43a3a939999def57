/**
 * What the REST API asks of a worker, whichever mode it runs in: the connectors, their
 * configurations and statuses, and the actions on them. Standalone mode keeps connectors
 * in the process; distributed mode keeps them in the configs topic shared by all workers.
 */
import type { RawConfig } from '../config/config-reader.ts';
import { isPlainObject } from '../config/config-reader.ts';
import {
  type ConnectorConfig,
  parseConnectorConfig,
  taskConfigsOf,
} from '../config/connector-config.ts';
import type { PluginRegistry } from '../config/plugin-registry.ts';
import { ConfigError } from '../errors.ts';
import type { TaskState } from './task-handle.ts';

export type TargetState = 'RUNNING' | 'PAUSED';

export interface ConnectorInfo {
  readonly name: string;
  readonly type: 'source' | 'sink';
  readonly config: RawConfig;
  readonly tasks: number;
  readonly target: TargetState;
}

export interface TaskStatusView {
  readonly id: number;
  readonly state: TaskState | 'UNASSIGNED';
  readonly workerId?: string;
  readonly error?: string;
  readonly restarts?: number;
}

export interface ConnectorStatus {
  readonly name: string;
  readonly type: 'source' | 'sink';
  readonly connector: { readonly state: TargetState | 'FAILED'; readonly error?: string };
  readonly tasks: readonly TaskStatusView[];
}

export interface Herder {
  readonly mode: 'standalone' | 'distributed';
  readonly workerId: string;
  readonly plugins: PluginRegistry;
  list(): Promise<string[]>;
  info(name: string): Promise<ConnectorInfo>;
  /** Creates a connector (ConnectorExistsError if the name is taken). */
  create(raw: unknown): Promise<ConnectorInfo>;
  /** Creates or replaces a connector's configuration. */
  put(name: string, raw: unknown): Promise<{ created: boolean; info: ConnectorInfo }>;
  delete(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** Starts the connector's tasks again (a failed task does not restart by itself). */
  restart(name: string): Promise<void>;
  status(name: string): Promise<ConnectorStatus>;
  close(): Promise<void>;
}

/** Parses and checks a configuration, including that its work splits into tasks. */
export function validateConnector(
  raw: unknown,
  plugins: PluginRegistry,
  name?: string,
): { config: ConnectorConfig; tasks: unknown[] } {
  let withName = raw;
  if (name !== undefined && isPlainObject(raw)) {
    if (raw.name !== undefined && raw.name !== name) {
      throw new ConfigError('connector configuration', [
        `'name' is ${JSON.stringify(raw.name)} but the URL names ${JSON.stringify(name)}`,
      ]);
    }
    withName = { ...raw, name };
  }
  const config = parseConnectorConfig(withName, plugins);
  return { config, tasks: taskConfigsOf(config) };
}

export function infoOf(config: ConnectorConfig, tasks: number, target: TargetState): ConnectorInfo {
  return { name: config.name, type: config.plugin.kind, config: config.raw, tasks, target };
}
