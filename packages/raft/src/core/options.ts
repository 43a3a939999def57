/**
 * The options a host gives a RawNode, their defaults, and their validation. Bad options
 * are a programmer error of the host and throw a RaftError('invalid-options') at once.
 */
import { RaftError } from './errors.ts';
import {
  appendBytesMaxDefault,
  committedBytesPerReadyMaxDefault,
  electionTicksMax,
  inflightAppendsMaxDefault,
  inflightBytesMaxDefault,
  learnerCatchUpLagMaxDefault,
  snapshotChunkBytesDefault,
  snapshotReceiveBytesMaxDefault,
  uncommittedBytesMaxDefault,
} from './limits.ts';
import type { CoreLogger, GroupId, LogReader, NodeId, Prng } from './types.ts';

export interface RawNodeOptions {
  readonly id: NodeId;
  readonly group: GroupId;
  readonly log: LogReader;
  /** Draws the randomized election timeout, in [electionTicks, 2 × electionTicks). */
  readonly prng: Prng;
  readonly logger: CoreLogger;
  /** Ticks without hearing from a leader before a follower campaigns (at least). */
  readonly electionTicks: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTicks: number;
  /** Ask for votes without raising the term first, so a rejoining node cannot disrupt. */
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum for electionTicks steps down; followers
   * that heard from a leader within electionTicks refuse votes (the leader lease). */
  readonly checkQuorum: boolean;
  readonly inflightAppendsMax?: number;
  readonly inflightBytesMax?: number;
  readonly appendBytesMax?: number;
  readonly snapshotChunkBytes?: number;
  readonly snapshotReceiveBytesMax?: number;
  readonly uncommittedBytesMax?: number;
  readonly committedBytesPerReadyMax?: number;
  readonly learnerCatchUpLagMax?: number;
  /** The index the host has already applied (default: the snapshot's index). */
  readonly applied?: number;
  /**
   * Protocol-aware recovery: this replica's disk lost entries it had acknowledged, up to
   * this index. Until its log's last index reaches it again (re-learned from a leader) it
   * neither grants votes nor campaigns nor pre-votes. 0 (the default) means no loss.
   */
  readonly votingDisabledUntilIndex?: number;
  /** Emit state transitions through `logger.debug` (role, term, config, snapshots). */
  readonly trace?: boolean;
}

export interface ResolvedOptions {
  readonly id: NodeId;
  readonly group: GroupId;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly inflightAppendsMax: number;
  readonly inflightBytesMax: number;
  readonly appendBytesMax: number;
  readonly snapshotChunkBytes: number;
  readonly snapshotReceiveBytesMax: number;
  readonly uncommittedBytesMax: number;
  readonly committedBytesPerReadyMax: number;
  readonly learnerCatchUpLagMax: number;
  readonly votingDisabledUntilIndex: number;
  readonly trace: boolean;
}

function invalid(message: string): never {
  throw new RaftError('invalid-options', `raft options: ${message}`);
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export function resolveOptions(options: RawNodeOptions): ResolvedOptions {
  const id = integerIn('id', options.id, 1, Number.MAX_SAFE_INTEGER);
  const group = integerIn('group', options.group, 0, Number.MAX_SAFE_INTEGER);
  const electionTicks = integerIn('electionTicks', options.electionTicks, 2, electionTicksMax);
  const heartbeatTicks = integerIn('heartbeatTicks', options.heartbeatTicks, 1, electionTicks - 1);
  const bytes = (name: string, value: number | undefined, fallback: number): number =>
    integerIn(name, value ?? fallback, 1, Number.MAX_SAFE_INTEGER);
  const inflightBytesMax = bytes(
    'inflightBytesMax',
    options.inflightBytesMax,
    inflightBytesMaxDefault,
  );
  const appendBytesMax = bytes('appendBytesMax', options.appendBytesMax, appendBytesMaxDefault);
  if (appendBytesMax > inflightBytesMax) invalid('appendBytesMax must not exceed inflightBytesMax');
  if (typeof options.preVote !== 'boolean') invalid('preVote must be a boolean');
  if (typeof options.checkQuorum !== 'boolean') invalid('checkQuorum must be a boolean');
  return {
    id,
    group,
    electionTicks,
    heartbeatTicks,
    preVote: options.preVote,
    checkQuorum: options.checkQuorum,
    inflightAppendsMax: integerIn(
      'inflightAppendsMax',
      options.inflightAppendsMax ?? inflightAppendsMaxDefault,
      1,
      1_000_000,
    ),
    inflightBytesMax,
    appendBytesMax,
    snapshotChunkBytes: bytes(
      'snapshotChunkBytes',
      options.snapshotChunkBytes,
      snapshotChunkBytesDefault,
    ),
    snapshotReceiveBytesMax: bytes(
      'snapshotReceiveBytesMax',
      options.snapshotReceiveBytesMax,
      snapshotReceiveBytesMaxDefault,
    ),
    uncommittedBytesMax: bytes(
      'uncommittedBytesMax',
      options.uncommittedBytesMax,
      uncommittedBytesMaxDefault,
    ),
    committedBytesPerReadyMax: bytes(
      'committedBytesPerReadyMax',
      options.committedBytesPerReadyMax,
      committedBytesPerReadyMaxDefault,
    ),
    learnerCatchUpLagMax: integerIn(
      'learnerCatchUpLagMax',
      options.learnerCatchUpLagMax ?? learnerCatchUpLagMaxDefault,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    votingDisabledUntilIndex: integerIn(
      'votingDisabledUntilIndex',
      options.votingDisabledUntilIndex ?? 0,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    trace: options.trace ?? false,
  };
}
