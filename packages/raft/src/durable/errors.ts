/**
 * Operating errors of the durable Raft log. One class, told apart by `code`:
 *
 * | code                 | meaning                                                        | retriable |
 * | -------------------- | -------------------------------------------------------------- | --------- |
 * | CORRUPT              | a checksum or shape failed on bytes that were once durable      | no        |
 * | SEGMENT_MISSING      | a WAL segment the log still needs is gone                       | no        |
 * | SNAPSHOT_MISSING     | a snapshot file the log refers to is gone or unreadable         | no        |
 * | ACKNOWLEDGED_MISSING | the log has data but the acknowledged-state file is gone        | no        |
 * | IO                   | the operating system refused a read, write or fsync             | no        |
 * | CLOSED               | the log was closed, or stopped after an earlier failure         | no        |
 * | COMPACTED            | a read below the first index still held                         | no        |
 * | UNAVAILABLE          | a read past the last index held                                 | no        |
 * | GROUP_FENCED         | the group was stopped by an earlier error (see `cause`)         | no        |
 *
 * None is retriable: after a failed fsync the page cache can no longer be trusted, so the
 * node stops and recovers from disk (the lesson of PostgreSQL's "fsyncgate").
 */

import type { GroupId } from '../core/types.ts';

export type RaftStorageErrorCode =
  | 'CORRUPT'
  | 'SEGMENT_MISSING'
  | 'SNAPSHOT_MISSING'
  | 'ACKNOWLEDGED_MISSING'
  | 'IO'
  | 'CLOSED'
  | 'COMPACTED'
  | 'UNAVAILABLE'
  | 'GROUP_FENCED';

export class RaftStorageError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: RaftStorageErrorCode,
    message: string,
    /** The group concerned, when the error concerns one group only. */
    readonly group: GroupId | undefined = undefined,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'RaftStorageError';
  }
}
