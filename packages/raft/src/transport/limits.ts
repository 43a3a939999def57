/**
 * Limits of the peer transport, in one place, units last; relations checked at load.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Largest WebSocket message either side accepts (ws `maxPayload`, both ways). An append
 * carrying one whole record batch (16 MiB at most) must fit, with room for its envelope.
 */
export const frameBytesMaxDefault = 32 * MiB;
/** A frame is closed once its messages reach this size (a single larger message goes alone). */
export const frameBytesTarget = 1 * MiB;
/**
 * Outgoing frames are built in recycled buffers (frame-pool.ts) of `frameBytesTarget` plus
 * this slack: a frame closes at the target by estimated size, and its encoding may differ a
 * little from the estimate.
 */
export const framePoolSlackBytes = 64 * KiB;
/** Pooled frame buffers per node, at most (they hold at most about 8.5 MiB in all). */
export const framePoolBuffersMax = 8;
/** Messages waiting for one peer; beyond this the oldest are dropped (Raft tolerates loss). */
export const queueMessagesMaxDefault = 16_384;
/** Estimated bytes waiting for one peer; beyond this the oldest are dropped. */
export const queueBytesMaxDefault = 64 * MiB;
/** Stop handing frames to a socket while this many bytes sit in its send buffer. */
export const socketBufferedBytesHigh = 8 * MiB;

/** Bytes a connection may send before it has authenticated; then it is cut. */
export const unauthenticatedBytesMax = 4 * KiB;
/** Inbound connections still in their handshake, at most; more are refused at once. */
export const unauthenticatedConnectionsMax = 64;
export const handshakeTimeoutMsDefault = 5_000;
/** A connection that has not answered a ping for this long is cut. */
export const pingIntervalMsDefault = 5_000;

export const reconnectDelayMsMin = 50;
export const reconnectDelayMsMaxDefault = 5_000;

export const secretBytesMin = 16;
export const nonceBytes = 32;

/** Rough size of one message beyond its entry or snapshot data, for queue accounting. */
export const messageOverheadBytes = 64;
export const entryOverheadBytes = 24;

if (frameBytesTarget > frameBytesMaxDefault) throw new Error('frame target above frame maximum');
if (unauthenticatedBytesMax >= frameBytesTarget) throw new Error('pre-auth cap must be small');
