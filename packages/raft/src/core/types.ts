/**
 * The vocabulary shared by the pure Raft core and its hosts: entries, hard state,
 * messages, the Ready batch, and the read-only view of the durable log that a host
 * hands the core. Nothing here performs I/O; everything crosses the wire or the disk
 * as plain data, so every field is a number, a boolean, an array or a Uint8Array.
 *
 * Index and term are Raft log positions; they are never partition offsets. The one
 * mapping between Raft indexes and partition offsets lives in the broker.
 */

/** A server's identity within the cluster: a positive safe integer. */
export type NodeId = number;
/** A Raft group's identity within the cluster: a non-negative safe integer. 0 is metadata. */
export type GroupId = number;

/** What an entry carries, so the host can tell its own data from Raft's bookkeeping. */
export const EntryType = {
  /** Opaque bytes proposed by the host. */
  Data: 0,
  /** A membership change, encoded by the core's config-change codec. */
  Config: 1,
  /** The empty entry a new leader appends to commit its term. */
  Noop: 2,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: number;
  /** The candidate voted for in `term`, or 0 for none. */
  readonly vote: NodeId;
  readonly commit: number;
}

/**
 * A group's membership. `outgoingVoters` is non-empty only during a joint configuration
 * (old and new voter sets must both agree). Learners receive the log but never vote.
 */
export interface ConfigState {
  readonly voters: readonly NodeId[];
  readonly outgoingVoters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  /** The last log index the snapshot covers. */
  readonly index: number;
  readonly term: number;
  readonly config: ConfigState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The state machine's image at `metadata.index`, opaque to the core. */
  readonly data: Uint8Array;
}

export const Role = {
  Follower: 'follower',
  PreCandidate: 'pre-candidate',
  Candidate: 'candidate',
  Leader: 'leader',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Volatile state the host may want to observe (leadership), not persisted. */
export interface SoftState {
  /** The known leader, or 0 when none is known. */
  readonly leader: NodeId;
  readonly role: Role;
}

/** A linearizable read point: once the host has applied `index`, it may serve `requestId`. */
export interface ReadState {
  readonly requestId: number;
  readonly index: number;
}

export const MessageType = {
  PreVote: 1,
  PreVoteResponse: 2,
  Vote: 3,
  VoteResponse: 4,
  Append: 5,
  AppendResponse: 6,
  Heartbeat: 7,
  HeartbeatResponse: 8,
  InstallSnapshot: 9,
  InstallSnapshotResponse: 10,
  TimeoutNow: 11,
  /** A follower asks the leader for a read index on behalf of its host (added for follower reads). */
  ReadIndex: 12,
  ReadIndexResponse: 13,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

interface MessageBase {
  readonly group: GroupId;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Vote and pre-vote requests. A pre-vote carries the term the candidate would take. */
export interface VoteRequest extends MessageBase {
  readonly type: typeof MessageType.PreVote | typeof MessageType.Vote;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set on a vote sent because of TimeoutNow: it may disrupt a live leader. */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: typeof MessageType.PreVoteResponse | typeof MessageType.VoteResponse;
  readonly granted: boolean;
  /**
   * The responder's commit point (added field): a candidate that holds this very entry knows
   * its log is committed up to it, so a lagging candidate applies membership changes the
   * group has already committed before it campaigns again. 0 and 0 when nothing committed.
   */
  readonly commit: number;
  readonly commitTerm: number;
}

export interface AppendRequest extends MessageBase {
  readonly type: typeof MessageType.Append;
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends MessageBase {
  readonly type: typeof MessageType.AppendResponse;
  readonly success: boolean;
  /** On success, the last index now matched; on rejection, the rejected prevLogIndex. */
  readonly index: number;
  /** On rejection, the follower's hint: its last index, or the first index of the
   * conflicting term, so the leader can skip a whole term at once. */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

export interface HeartbeatRequest extends MessageBase {
  readonly type: typeof MessageType.Heartbeat;
  readonly commit: number;
  /** Read-index round this heartbeat confirms leadership for, or 0. */
  readonly context: number;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: typeof MessageType.HeartbeatResponse;
  readonly context: number;
}

/** One chunk of a snapshot; `offset` is the byte position of `data` in the whole image. */
export interface InstallSnapshotRequest extends MessageBase {
  readonly type: typeof MessageType.InstallSnapshot;
  readonly metadata: SnapshotMetadata;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export interface InstallSnapshotResponse extends MessageBase {
  readonly type: typeof MessageType.InstallSnapshotResponse;
  readonly snapshotIndex: number;
  /** The next byte offset the follower expects, or the image's size once installed. */
  readonly nextOffset: number;
  readonly done: boolean;
}

export interface TimeoutNowRequest extends MessageBase {
  readonly type: typeof MessageType.TimeoutNow;
}

/** A follower's read-index request, forwarded to the leader; `requestId` is the follower's own. */
export interface ReadIndexRequest extends MessageBase {
  readonly type: typeof MessageType.ReadIndex;
  readonly requestId: number;
}

/** The leader's answer: once the follower has applied `index`, it may serve `requestId`. */
export interface ReadIndexResponse extends MessageBase {
  readonly type: typeof MessageType.ReadIndexResponse;
  readonly requestId: number;
  readonly index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | InstallSnapshotRequest
  | InstallSnapshotResponse
  | TimeoutNowRequest
  | ReadIndexRequest
  | ReadIndexResponse;

/**
 * What the host must do, in this order:
 * 1. persist `snapshot` (if any), then `entries` (replacing any suffix of the log that
 *    starts at `entries[0].index`), then `hardState` (if any), and fdatasync;
 * 2. send `messages` (these could have left before step 1) and `messagesAfterPersist`
 *    (votes and append acknowledgements, which must not leave before the sync);
 * 3. apply `snapshot` then `committedEntries` to the state machine, in order;
 * 4. call `advance()`.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

/**
 * The core's read-only view of what the host has made durable. The host implements it
 * (in memory for the simulator, on disk in production); the core never writes through it.
 */
export interface LogReader {
  /**
   * Hard state as of the last persisted Ready, and the bootstrap membership. The core uses
   * `config` only when there is no snapshot: with a snapshot, the membership is the
   * snapshot's, and the core replays committed config entries after it.
   */
  initialState(): { hardState: HardState; config: ConfigState };
  /** The first index still held as an entry (the snapshot's index + 1). */
  firstIndex(): number;
  /** The last index held (the snapshot's index when the log is empty). */
  lastIndex(): number;
  /** Term of `index` for index in [firstIndex - 1, lastIndex]; undefined outside. */
  term(index: number): number | undefined;
  /** Entries in [low, high), at least one if any, then stopping before `bytesMax`. */
  entries(low: number, high: number, bytesMax: number): Entry[];
  /** The latest snapshot, or undefined if none was ever taken. */
  snapshot(): Snapshot | undefined;
}

/** A seeded source of randomness handed to the core (election timeouts). */
export interface Prng {
  /** A uniformly drawn integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}

/** Where the core reports what it refused and why; the host counts and logs. */
export interface CoreLogger {
  warn(event: string, fields: Record<string, unknown>): void;
  debug?(event: string, fields: Record<string, unknown>): void;
}
