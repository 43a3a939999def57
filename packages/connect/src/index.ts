// @tributary/connect: the connector framework (source and sink tasks, converters,
// transforms, dead letters, standalone and distributed workers, REST API) and connectors.
export { ConfigReader, type RawConfig } from './config/config-reader.ts';
export { type ConnectorConfig, parseConnectorConfig } from './config/connector-config.ts';
export { PluginRegistry } from './config/plugin-registry.ts';
export { parseWorkerConfig, type WorkerConfig } from './config/worker-config.ts';
export type {
  ConnectorPlugin,
  SinkConnectorPlugin,
  SinkTask,
  SourceConnectorPlugin,
  SourceTask,
  TaskContext,
  TaskLogger,
} from './connector.ts';
export { builtinPlugins } from './connectors/builtin.ts';
export { fileSink } from './connectors/file/file-sink.ts';
export { fileSource } from './connectors/file/file-source.ts';
export { postgresSink } from './connectors/postgres/pg-sink.ts';
export { postgresSource } from './connectors/postgres/pg-source.ts';
export { sqliteSink } from './connectors/sqlite/sqlite-sink.ts';
export { sqliteSource } from './connectors/sqlite/sqlite-source.ts';
export {
  bytesConverter,
  type Converter,
  type ConverterName,
  jsonConverter,
  stringConverter,
} from './converters/converter.ts';
export {
  ConfigError,
  ConnectError,
  type ConnectErrorCode,
  ConnectorExistsError,
  ConnectorNotFoundError,
  ExternalSystemError,
  RecordError,
  UnknownConnectorClassError,
} from './errors.ts';
export { headerNames, limits } from './limits.ts';
export type { ConnectRecord, JsonValue, SinkRecord, SourceRecord } from './records.ts';
export {
  type ConnectWorker,
  type StartOptions,
  startConnectWorker,
} from './runtime/connect-worker.ts';
export type { ConnectorInfo, ConnectorStatus, Herder, TaskStatusView } from './runtime/herder.ts';
export { createLogger, type Logger, type LogLevel } from './runtime/logger.ts';
export type { TaskState, TaskStatus } from './runtime/task-handle.ts';
export type { Transform, TransformPlugin } from './transforms/transform.ts';
export {
  applyTransforms,
  parseTransforms,
  transformPlugins,
} from './transforms/transform-chain.ts';
