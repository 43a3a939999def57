/**
 * The client's limits and defaults, in one place, units last. Defaults follow Kafka's
 * client defaults where Kafka has the same knob.
 */
import { limits as wire } from '@tributary/protocol';

export const connectTimeoutMsDefault = 10_000;
export const requestTimeoutMsDefault = 30_000;
/** Requests a connection keeps in flight before further ones wait (pipelining depth). */
export const inflightRequestsMaxDefault = 64;
/** How long `close()` waits for the WebSocket closing handshake before dropping the socket. */
export const closeHandshakeMsMax = 500;
export const metadataMaxAgeMsDefault = 300_000;
/** Metadata refreshes triggered by errors are spaced at least this far apart per topic set. */
export const metadataRefreshMsMin = 50;
/** Default bound on a whole operation with its retries (Kafka's delivery.timeout.ms). */
export const operationTimeoutMsDefault = 120_000;
export const frameBytesMax = wire.frameBytesMax;
export const batchBytesMax = wire.batchBytesMax;
/**
 * Headers one record may carry: the record codec's bound (`headerCountMax` in
 * packages/protocol/src/record-batch/layout.ts, not exported). `send` refuses a record with
 * more, as the codec would refuse it later, when the batch is encoded.
 */
export const recordHeadersMax = 65_536;
/**
 * The latest record timestamp `send` accepts, in ms: one below the largest safe integer, so
 * the timestamp deltas within a batch (between -1 and this) stay safe integers, as the
 * record codec requires.
 */
export const recordTimestampMsMax = Number.MAX_SAFE_INTEGER - 1;
/**
 * Produce frames up to this size are built in memory a connection reuses (see
 * net/frame-pool.ts), at most `framePoolBuffersMax` buffers per connection: frames are
 * returned once written, so a few cover the requests of a busy producer.
 */
export const framePoolBufferBytesMax = 4 * 1024 * 1024;
export const framePoolBuffersMax = 4;
/**
 * An eachBatch call gets the stored batches of a fetched chunk up to about this many
 * records (whole stored batches; at least one): a chunk's messages live until its handler
 * returns, and past roughly 10,000 they outlive young-generation collections, which then
 * copy them; each message cost about 4 times as much at 37,000 per call as at 9,000
 * (tools/bench/src/consumer-decode.ts).
 */
export const eachBatchRecordsMax = 8192;

if (inflightRequestsMaxDefault < 1) throw new Error('inflightRequestsMaxDefault must be >= 1');
if (metadataRefreshMsMin >= metadataMaxAgeMsDefault) throw new Error('metadata limits inverted');
if (framePoolBufferBytesMax > frameBytesMax) throw new Error('a pooled frame must fit in a frame');
if (eachBatchRecordsMax < 1) throw new Error('eachBatchRecordsMax must be >= 1');
