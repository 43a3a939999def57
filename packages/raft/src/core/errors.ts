/**
 * Operating errors of the Raft core: typed, with a `code` the host can switch on and a
 * `retriable` flag (a proposal refused because leadership is moving may be retried; an
 * invalid membership change may not). Programmer errors are assertions (see assert.ts).
 */
import type { NodeId } from './types.ts';

export type RaftErrorCode =
  | 'not-leader'
  | 'no-leader'
  | 'transfer-in-progress'
  | 'empty-proposal'
  | 'proposal-too-large'
  | 'uncommitted-log-full'
  | 'config-change-pending'
  | 'invalid-config-change'
  | 'learner-not-caught-up'
  | 'not-a-voter'
  | 'too-many-reads'
  | 'snapshot-out-of-date'
  | 'snapshot-not-applied'
  | 'snapshot-pending'
  | 'invalid-message'
  | 'invalid-options';

const retriableCodes: ReadonlySet<RaftErrorCode> = new Set<RaftErrorCode>([
  'not-leader',
  'no-leader',
  'transfer-in-progress',
  'uncommitted-log-full',
  'config-change-pending',
  'learner-not-caught-up',
  'too-many-reads',
  'snapshot-pending',
]);

export class RaftError extends Error {
  override readonly name: string = 'RaftError';
  readonly code: RaftErrorCode;
  readonly retriable: boolean;
  /** The leader this node knows of (0 when none): where a refused proposal should go. */
  readonly leader: NodeId;

  constructor(
    code: RaftErrorCode,
    message: string,
    options: { leader?: NodeId; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = retriableCodes.has(code);
    this.leader = options.leader ?? 0;
  }
}

/** Why a message from the network was refused. Each reason has a counter in the status. */
export type RejectReason =
  | 'malformed'
  | 'impossible-index'
  | 'impossible-term'
  | 'wrong-group'
  | 'wrong-recipient'
  | 'invalid-sender'
  | 'sender-not-in-config'
  | 'conflicts-with-committed'
  | 'snapshot-too-large';

export const rejectReasons: readonly RejectReason[] = [
  'malformed',
  'impossible-index',
  'impossible-term',
  'wrong-group',
  'wrong-recipient',
  'invalid-sender',
  'sender-not-in-config',
  'conflicts-with-committed',
  'snapshot-too-large',
];

/** A decoded value that is not a well-formed Raft message (see validate-message.ts). */
export class InvalidMessageError extends RaftError {
  override readonly name = 'InvalidMessageError';
  readonly reason: RejectReason;
  /** Where in the value the problem is, e.g. `entries[3].term`. */
  readonly path: string;

  constructor(reason: RejectReason, path: string, detail: string) {
    super('invalid-message', `invalid raft message: ${path}: ${detail}`);
    this.reason = reason;
    this.path = path;
  }
}
