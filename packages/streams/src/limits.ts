/** Limits and defaults of the streams library, units last. Relations are checked at load. */
import { assert } from './assert.ts';

/**
 * How often the runtime commits (outputs flushed, changelogs written, offsets committed).
 * Processing pauses while a commit waits for every output sent so far to be acknowledged
 * (1–2 s on a loaded machine), so a short interval costs throughput; a long one costs
 * replay after a crash (everything since the last commit is processed again).
 */
export const commitIntervalMsDefault = 5_000;
/** Bytes fetched but not yet processed, across the instance's partitions (consumer prefetch). */
export const prefetchBytesMax = 8 * 1024 * 1024;
/** Bytes fetched per partition per request: keeps a task's topics interleaved. */
export const fetchBytesPerPartitionMax = 256 * 1024;
/** Records a task buffers per input partition before fetching from it pauses. */
export const taskBufferedRecordsMax = 10_000;
/** Records processed in one turn of the runtime's loop before it yields to I/O. */
export const processBatchRecordsMax = 2_000;
/** A local store's log is rewritten as a snapshot once it holds this many times its live entries. */
export const storeLogRewriteRatio = 4;
/** ...and at least this many bytes (small stores are never worth rewriting). */
export const storeLogRewriteBytesMin = 1024 * 1024;
/** Largest entry accepted in a local store file (a corrupt length is caught by it). */
export const storeEntryBytesMax = 64 * 1024 * 1024;
/** Changelog records sent in one produce call when a task commits. */
export const changelogSendRecordsMax = 5_000;
/** How long a task restore that fails on retriable errors is retried before the instance fails. */
export const restoreRetryMsMax = 300_000;
/** How long `start()` keeps retrying retriable errors (a controller election) creating a topic. */
export const topicCreateMsMax = 120_000;
/** Timeout of one topic creation attempt (leaders elected included). */
export const topicCreateAttemptMs = 30_000;
/** Default grace period of windows: late records within it still count. */
export const graceMsDefault = 0;

assert(commitIntervalMsDefault > 0, 'commit interval must be positive');
assert(processBatchRecordsMax <= taskBufferedRecordsMax, 'a batch never exceeds the buffer');
assert(storeLogRewriteRatio > 1, 'rewriting must shrink the log');
assert(topicCreateAttemptMs <= topicCreateMsMax, 'an attempt fits in the retry budget');
