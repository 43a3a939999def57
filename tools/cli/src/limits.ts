/** The CLI's defaults and bounds, in one place, units last. */

/** Where the CLI looks for a cluster without `--brokers` or `TRIBUTARY_BROKERS`. */
export const brokersDefault = '127.0.0.1:9092';
export const brokersEnvironmentVariable = 'TRIBUTARY_BROKERS';
/** Bound on each cluster operation (connecting, one admin call, one record's delivery). */
export const timeoutMsDefault = 10_000;
export const timeoutMsMax = 3_600_000;
/** A connection attempt never waits longer than this, whatever `--timeout` says. */
export const connectTimeoutMsMax = 5_000;
/** How long a topic missing from a broker's metadata is waited for before "unknown topic". */
export const unknownTopicWaitMsMax = 3_000;
/** Records handed to the producer and not yet acknowledged before reading stdin pauses. */
export const produceRecordsPendingMax = 20_000;
/** Stdin lines sent in one `send` call at most (one piece of input may hold many). */
export const produceLinesPerSendMax = 1_000;
/** Progress lines on a terminal are redrawn at most this often. */
export const progressIntervalMs = 200;
/** How often `consume --until-end` checks whether every partition reached its end. */
export const untilEndCheckIntervalMs = 50;
/** Bound on leaving a group and closing connections at exit. */
export const shutdownMsMax = 5_000;
/** The process exits this long after the command ended even if a handle lingers. */
export const exitGraceMs = 2_000;
/** Replication factor `topic create` uses at most when `-r` is not given. */
export const replicationFactorDefaultMax = 3;

if (connectTimeoutMsMax > timeoutMsDefault)
  throw new Error('connect bound above the default timeout');
if (exitGraceMs < 100) throw new Error('exitGraceMs too small to flush output');
if (produceLinesPerSendMax > produceRecordsPendingMax)
  throw new Error('a send exceeds the pending bound');
