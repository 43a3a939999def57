/**
 * A worker's configuration file (JSON):
 *
 *   mode                    standalone (default) | distributed
 *   brokers                 bootstrap host:port list (required)
 *   clientId                default tributary-connect
 *   workerId                default <restHost>:<restPort>
 *   restHost, restPort      REST API address (default 127.0.0.1:8083; port 0: any free port)
 *   topicPrefix             internal topics are <prefix>-offsets, -configs, -status, -tasks;
 *                           distributed workers with one prefix form one cluster (default connect)
 *   offsetsTopicPartitions  default 3
 *   taskSlots               distributed: units of work shared among workers (default 24)
 *   sessionTimeoutMs        distributed: a worker silent this long is taken as dead (default 10 000)
 *   logLevel                debug | info (default) | warn | error | nothing
 *   connectors              connector configurations to run (distributed: created if absent)
 */

import { ConfigError } from '../errors.ts';
import { limits } from '../limits.ts';
import type { LogLevel } from '../runtime/logger.ts';
import { ConfigReader, describe, isPlainObject } from './config-reader.ts';

export interface WorkerConfig {
  readonly mode: 'standalone' | 'distributed';
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly workerId: string | undefined;
  readonly restHost: string;
  readonly restPort: number;
  readonly topicPrefix: string;
  readonly offsetsTopicPartitions: number;
  readonly taskSlots: number;
  readonly sessionTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly connectors: readonly unknown[];
}

export function parseWorkerConfig(raw: unknown): WorkerConfig {
  if (!isPlainObject(raw))
    throw new ConfigError('worker configuration', [`must be a JSON object, got ${describe(raw)}`]);
  const reader = new ConfigReader(raw, 'worker configuration');
  const connectors = reader.optionalValue('connectors') ?? [];
  if (!Array.isArray(connectors))
    reader.problem(`'connectors' must be a list of connector configurations`);
  const topicPrefix = reader.string('topicPrefix', 'connect');
  if (!/^[a-zA-Z0-9._-]+$/.test(topicPrefix))
    reader.problem(`'topicPrefix' must be usable in topic names, got ${describe(topicPrefix)}`);
  const brokers = reader.optionalStringList('brokers') ?? [];
  if (brokers.length === 0) reader.problem(`'brokers' (bootstrap host:port list) is required`);
  const config: WorkerConfig = {
    mode: reader.oneOf('mode', ['standalone', 'distributed'] as const, 'standalone'),
    brokers,
    clientId: reader.string('clientId', 'tributary-connect'),
    workerId: reader.optionalString('workerId'),
    restHost: reader.string('restHost', '127.0.0.1'),
    restPort: reader.integer('restPort', 8083, { min: 0, max: 65_535 }),
    topicPrefix,
    offsetsTopicPartitions: reader.integer(
      'offsetsTopicPartitions',
      limits.offsetsTopicPartitionsDefault,
      { min: 1, max: 1000 },
    ),
    taskSlots: reader.integer('taskSlots', limits.taskSlotsDefault, { min: 1, max: 1000 }),
    sessionTimeoutMs: reader.integer('sessionTimeoutMs', 10_000, { min: 1000, max: 300_000 }),
    logLevel: reader.oneOf(
      'logLevel',
      ['debug', 'info', 'warn', 'error', 'nothing'] as const,
      'info',
    ),
    connectors: Array.isArray(connectors) ? connectors : [],
  };
  reader.finish();
  return config;
}

export function internalTopics(prefix: string) {
  return {
    offsets: `${prefix}-offsets`,
    configs: `${prefix}-configs`,
    status: `${prefix}-status`,
    tasks: `${prefix}-tasks`,
  };
}
