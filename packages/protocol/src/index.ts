// Client wire protocol: errors, limits, messages, framing.
export * from './errors.ts';
export * as limits from './limits.ts';
export * from './messages/index.ts';
// Record batch format (Kafka RecordBatch v2), compression, batch frames and checksums.
export * from './record-batch/index.ts';
export * from './wire/fetch-frame.ts';
export * from './wire/frame.ts';
export * from './wire/frame-pool.ts';
export { type FrameAllocator, joinPieces } from './wire/msgpack-pieces.ts';
export * from './wire/produce-frame.ts';
export * as schema from './wire/schema.ts';
