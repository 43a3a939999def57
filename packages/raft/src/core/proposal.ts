/**
 * Proposals: the host's data becomes entries of the leader's term, appended to its log in
 * one batch (one append per follower carries the whole batch, sent when the host next
 * takes a Ready). Refused, with a typed and mostly retriable error, when this node is not
 * the leader, while leadership is being transferred, or when too many bytes are already
 * waiting to commit.
 */
import { assert } from './assert.ts';
import { RaftError } from './errors.ts';
import { proposalEntriesMax } from './limits.ts';
import type { Raft } from './raft.ts';
import { appendLeaderEntries } from './replication.ts';
import { type Entry, EntryType, Role } from './types.ts';

export type ProposeResult =
  | {
      readonly ok: true;
      readonly indexFirst: number;
      readonly indexLast: number;
      readonly term: number;
    }
  | { readonly ok: false; readonly error: RaftError };

export function propose(r: Raft, data: readonly Uint8Array[]): ProposeResult {
  if (r.role !== Role.Leader) {
    return {
      ok: false,
      error: new RaftError('not-leader', 'proposals go to the leader', { leader: r.leader }),
    };
  }
  if (r.configEntryUnapplied > r.log.applied) {
    return {
      ok: false,
      error: new RaftError('config-change-pending', 'a membership change is being applied'),
    };
  }
  if (r.transferee !== 0) {
    return {
      ok: false,
      error: new RaftError('transfer-in-progress', `leadership is moving to ${r.transferee}`, {
        leader: r.leader,
      }),
    };
  }
  if (data.length === 0)
    return { ok: false, error: new RaftError('empty-proposal', 'nothing to propose') };
  if (data.length > proposalEntriesMax) {
    return {
      ok: false,
      error: new RaftError('proposal-too-large', `more than ${proposalEntriesMax} entries`),
    };
  }
  let bytes = 0;
  for (const item of data) {
    assert(item instanceof Uint8Array, 'propose: every item must be a Uint8Array');
    bytes += item.byteLength;
  }
  const limit = r.options.uncommittedBytesMax;
  if (r.uncommitted.bytes > 0 && r.uncommitted.bytes + bytes > limit) {
    return {
      ok: false,
      error: new RaftError(
        'uncommitted-log-full',
        `${r.uncommitted.bytes} bytes wait to commit (limit ${limit})`,
      ),
    };
  }
  const indexFirst = r.log.lastIndex() + 1;
  const term = r.term;
  const entries: Entry[] = [];
  for (let i = 0; i < data.length; i++) {
    entries.push({
      index: indexFirst + i,
      term,
      type: EntryType.Data,
      data: data[i] as Uint8Array,
    });
  }
  appendLeaderEntries(r, entries);
  const indexLast = indexFirst + data.length - 1;
  r.uncommitted.add(indexLast, bytes);
  return { ok: true, indexFirst, indexLast, term };
}
