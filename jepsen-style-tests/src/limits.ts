/** Every bound of the harness in one place, units last. */
import { assert } from './assert.ts';

/** History recorder: lines held in memory before they are written out. */
export const recorderBufferedLinesMax = 1024;
/** History recorder: bytes held in memory before they are written out. */
export const recorderBufferedBytesMax = 1024 * 1024;
/** History recorder: longest time a recorded line waits before it reaches the file. */
export const recorderFlushIntervalMs = 200;
/** One history line; anything longer is malformed input, not a history. */
export const historyLineBytesMax = 64 * 1024 * 1024;

/** Examples kept per checker result; counts stay exact. */
export const checkerExamplesMax = 8;

/** TCP proxy: bytes held per direction of one connection during a one-way cut. */
export const proxyHeldBytesMax = 4 * 1024 * 1024;

/** Report: latency points drawn in the scatter plot (a sample beyond this). */
export const reportLatencyPointsMax = 4000;
/** Report: width of one throughput bucket. */
export const reportBucketMs = 1000;

/** Runner: how long a client may take to answer one operation before it is indeterminate. */
export const operationTimeoutMsDefault = 5000;
/** Runner: how long the cluster may take to become healthy after the faults heal. */
export const recoveryTimeoutMsDefault = 60_000;

assert(recorderBufferedLinesMax > 0, 'recorder must buffer at least one line');
assert(recorderBufferedBytesMax < historyLineBytesMax * 16, 'recorder buffer is sized in lines');
assert(proxyHeldBytesMax >= 64 * 1024, 'a one-way cut must hold at least one large frame');
