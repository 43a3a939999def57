/**
 * The connector plugin interface. A connector class reads its own options (the framework
 * has taken the common ones), splits the work into at most `tasksMax` task configurations,
 * and creates tasks. Task configurations are derived again on every worker from the
 * connector configuration, so they need not be serialisable and must be deterministic.
 */
import type { ConfigReader } from './config/config-reader.ts';
import type { JsonValue, SinkRecord, SourceRecord } from './records.ts';

export interface TaskContext {
  readonly connector: string;
  readonly taskIndex: number;
  readonly log: TaskLogger;
}

export interface TaskLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SourceTask {
  /** The source partitions this task reads (one per file, one per table); fixed for its life. */
  readonly sourcePartitions: readonly string[];
  /** Opens the external system and resumes each partition after its position (absent: from the start). */
  start(positions: ReadonlyMap<string, JsonValue>): Promise<void>;
  /**
   * The next records in source order, each with the position after it; `[]` when nothing is
   * new (the runner waits `pollIntervalMs`). Throws on failure (retriable errors restart the task).
   */
  poll(signal: AbortSignal): Promise<SourceRecord[]>;
  stop(): Promise<void>;
}

export interface SinkTask {
  start(): Promise<void>;
  /**
   * Writes the records durably, in order, and resolves once they are written: offsets are
   * committed only after. Throws a retriable error to have the same records offered again
   * later, or a `RecordError` (or any non-retriable error) to have the records tried one by
   * one so that the bad ones go to the dead-letter topic. Must be idempotent: after a crash
   * records are written again (upsert by key, delete on tombstone).
   */
  put(records: readonly SinkRecord[]): Promise<void>;
  stop(): Promise<void>;
}

interface PluginBase<C> {
  /** The `class` of a connector configuration (e.g. `PostgresSource`). */
  readonly className: string;
  readonly description: string;
  /** Reads the connector's own options; problems go to the reader (the framework calls `finish`). */
  parseConfig(reader: ConfigReader): C;
  /** The work split into at most `tasksMax` task configurations (at least one). */
  taskConfigs(config: C, tasksMax: number): C[];
}

export interface SourceConnectorPlugin<C = unknown> extends PluginBase<C> {
  readonly kind: 'source';
  createTask(config: C, context: TaskContext): SourceTask;
}

export interface SinkConnectorPlugin<C = unknown> extends PluginBase<C> {
  readonly kind: 'sink';
  createTask(config: C, context: TaskContext): SinkTask;
}

export type ConnectorPlugin = SourceConnectorPlugin | SinkConnectorPlugin;
