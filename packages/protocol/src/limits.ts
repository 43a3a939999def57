/**
 * Wire limits, in one place. A value past a limit is refused by validation with
 * INVALID_REQUEST (or MESSAGE_TOO_LARGE for batches) before it reaches a handler.
 */

/** Largest WebSocket frame a broker or client accepts. */
export const frameBytesMax = 64 * 1024 * 1024;
/** Largest record batch (one entry in a partition's Raft log). */
export const batchBytesMax = 16 * 1024 * 1024;
/** Kafka's own limit on topic names, for the same file-system reasons. */
export const topicNameLengthMax = 249;
export const topicNamePattern = /^[a-zA-Z0-9._-]+$/;
export const topicsPerRequestMax = 10_000;
export const partitionsPerTopicMax = 10_000;
export const replicationFactorMax = 7;
export const configEntriesMax = 100;
export const configValueLengthMax = 4096;
export const groupIdLengthMax = 255;
export const memberIdLengthMax = 255;
export const clientIdLengthMax = 255;
export const membersPerGroupMax = 10_000;
export const groupMetadataBytesMax = 1024 * 1024;
export const brokersMax = 1_000;
export const hostLengthMax = 255;
export const timeoutMsMax = 15 * 60 * 1000;
export const messageLengthMax = 4096;

if (batchBytesMax >= frameBytesMax) throw new Error('a batch must fit in a frame');
