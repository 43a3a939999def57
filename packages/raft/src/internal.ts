// Durable log internals for tests and the host: the file-system seam, the record and
// acknowledged-state codecs.
export { decodeAcknowledged } from './durable/acknowledged-file.ts';
export { loadChecksum } from './durable/checksum.ts';
export { nodeWalFileSystem, type WalFile, type WalFileSystem } from './durable/file-system.ts';
export * as walLimits from './durable/limits.ts';
export { decodeMessagesFrame, encodeMessagesFrame } from './transport/frame.ts';
export * as transportLimits from './transport/limits.ts';
