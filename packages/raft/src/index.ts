// The pure Raft core: RawNode and what it takes and gives (see docs/raft.md), and the
// core's vocabulary (types.ts: entries, messages, Ready, LogReader).
export { RaftInvariantError } from './core/assert.ts';
export {
  type ConfigChange,
  type ConfigChangeStep,
  ConfigChangeType,
  configsEqual,
  decodeConfigEntry,
  describeConfig,
  encodeConfigEntry,
} from './core/config-change.ts';
export {
  InvalidMessageError,
  RaftError,
  type RaftErrorCode,
  type RejectReason,
} from './core/errors.ts';
export type { ConfigProposalResult } from './core/membership.ts';
export { MemoryLog, type MemoryLogOptions } from './core/memory-log.ts';
export type { RawNodeOptions } from './core/options.ts';
export { SeededPrng } from './core/prng.ts';
export { ProgressState } from './core/progress.ts';
export type { ProposeResult } from './core/proposal.ts';
export type { RaftCounters } from './core/raft.ts';
export { RawNode } from './core/raw-node.ts';
export type { FollowerStatus, RaftStatus } from './core/status.ts';
export * from './core/types.ts';
export { validateMessage } from './core/validate-message.ts';
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
