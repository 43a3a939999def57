// The core's vocabulary: entries, messages, Ready, LogReader.
export * from './core/types.ts';
// The durable Raft log (one WAL per node, group commit) and the authenticated peer transport.
export type { AmnesiaReason } from './durable/amnesia.ts';
export { RaftStorageError, type RaftStorageErrorCode } from './durable/errors.ts';
export type { GroupRecovery, GroupStorage, StagedUpdate } from './durable/group-storage.ts';
export type { WalLogger, WalRecoveryReport } from './durable/recovery-report.ts';
export { RaftWal, type RaftWalOptions, type WalStats } from './durable/wal.ts';
export { TransportError, type TransportErrorCode } from './transport/errors.ts';
export type { PeerConnectionState, PeerStats } from './transport/peer-link.ts';
export {
  PeerTransport,
  type PeerTransportOptions,
  type TransportLogger,
  type TransportStats,
} from './transport/peer-transport.ts';
