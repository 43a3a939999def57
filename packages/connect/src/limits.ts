/**
 * Limits and defaults of the connect framework, in one place, units last. Relations between
 * them are checked at load.
 */
import { assert } from './assert.ts';

export const limits = {
  /** How long a source task waits after a poll that found nothing new. */
  pollIntervalMsDefault: 1_000,
  /** How often source positions are written to the offsets topic. */
  offsetFlushIntervalMsDefault: 2_000,
  /** Poll batches produced but not yet acknowledged, per source task. */
  sourceInflightBatchesMax: 8,
  /** Records a source connector returns from one poll, at most (connectors may return fewer). */
  sourceBatchRecordsMax: 10_000,
  sourceBatchRecordsDefault: 1_000,
  /** Consecutive empty polls are not logged; a task's failure backs off before it restarts. */
  taskRestartBackoffMsInitial: 1_000,
  taskRestartBackoffMsMax: 30_000,
  /** Bound on one REST request body. */
  restBodyBytesMax: 1024 * 1024,
  /** A file source line longer than this fails the task (one line is one record). */
  fileLineBytesMax: 1024 * 1024,
  /** Bytes a file source reads per poll, at most. */
  fileReadChunkBytes: 256 * 1024,
  /** Prepared statements kept per SQL sink (one per column set). */
  sqlStatementCacheMax: 64,
  /** Bound on reading an internal topic or a data topic's tail back (recovery). */
  readBackTimeoutMs: 120_000,
  /** Partitions of the task-slots topic: the units distributed workers share. */
  taskSlotsDefault: 24,
  /** Replication of internal topics: this many, or the brokers there are if fewer. */
  internalTopicReplicationMax: 3,
  offsetsTopicPartitionsDefault: 3,
  /** Connector names: safe in topic names, group ids and URLs. */
  connectorNameLengthMax: 120,
  tasksMaxLimit: 256,
  /** Source positions kept to skip after a recovery, at most (beyond: the task fails loudly). */
  recoverySkipPositionsMax: 1_000_000,
} as const;

assert(limits.sourceBatchRecordsDefault <= limits.sourceBatchRecordsMax, 'batch default <= max');
assert(
  limits.taskRestartBackoffMsInitial <= limits.taskRestartBackoffMsMax,
  'restart backoff initial <= max',
);
assert(limits.fileLineBytesMax >= limits.fileReadChunkBytes, 'a read chunk fits in a line bound');
assert(limits.taskSlotsDefault >= 1, 'at least one task slot');

/** Header names the framework writes on records. */
export const headerNames = {
  /** On source records: `[connector, sourcePartition]` as JSON: who produced it. */
  source: 'connect.source',
  /** On source records: the task's record sequence number (decimal). */
  sequence: 'connect.seq',
  /** On source records: the source position after this record, as JSON. */
  position: 'connect.position',
  errorStage: 'connect.error.stage',
  errorCode: 'connect.error.code',
  errorMessage: 'connect.error.message',
  errorConnector: 'connect.error.connector',
  errorTopic: 'connect.error.topic',
  errorPartition: 'connect.error.partition',
  errorOffset: 'connect.error.offset',
} as const;

export const connectorNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
