// The multi-raft host, for the broker: groups driven by one loop over one WAL and transport.
export {
  applyConfigChange,
  type ConfigChange,
  type ConfigChangeStep,
  ConfigChangeType,
  decodeConfigEntry,
  encodeConfigEntry,
} from '../core/config-change.ts';
export { RaftError, type RaftErrorCode } from '../core/errors.ts';
export type { ProposeResult } from '../core/proposal.ts';
export type { FollowerStatus, RaftStatus } from '../core/status.ts';
export { validateMessage } from '../core/validate-message.ts';
export { RaftWal, type RaftWalOptions } from '../durable/wal.ts';
export { PeerTransport, type PeerTransportOptions } from '../transport/peer-transport.ts';
export { type GroupStateMachine, HostedGroup } from './hosted-group.ts';
export {
  type CreateGroupOptions,
  type HostLogger,
  type HostStats,
  type HostTransport,
  RaftHost,
  type RaftHostOptions,
} from './raft-host.ts';
