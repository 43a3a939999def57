/**
 * Membership changes as the core runs them (Raft thesis §4, etcd's apply-time rule):
 *
 * - The leader proposes a change only when the previous one is applied, when it has
 *   applied the no-op of its own term (the fix for the single-server bug found after the
 *   thesis), when it is not in a joint configuration, and, to promote a learner, when
 *   the learner is within `learnerCatchUpLagMax` entries of the leader's log.
 * - A Config entry takes effect when the host has applied it (RawNode.advance), on every
 *   node alike; an entry that is invalid against the configuration it applies to is
 *   skipped by every node alike (counted), so replicas never diverge.
 * - Entering a joint configuration makes the leader propose the entry that leaves it as
 *   soon as it has applied the first.
 * - While a Config entry in its log is not applied yet, a leader accepts no data. A node
 *   removed by that entry must not end up with a longer log than the voters that remain
 *   (which happens if the leader appends more, replicates it, and crashes before its own
 *   fsync): a voter that has not learned the removal committed still counts the old set,
 *   needs the removed node's vote, and would never get it.
 * - A leader that is no longer a voter keeps leading (without counting itself) so that
 *   the remaining voters learn the commit index, and hands leadership over to the most
 *   caught-up voter, retrying every election timeout until a new leader takes over.
 *   (Stepping down at once could strand a voter that has not learned the change
 *   committed: it would still need the removed node's vote.)
 */
import {
  applyConfigChange,
  type ConfigChange,
  decodeConfigEntry,
  describeConfig,
  encodeConfigEntry,
  isJoint,
  isVoter,
  leaveJoint,
} from './config-change.ts';
import { RaftError } from './errors.ts';
import type { ConfigAtIndex, Raft } from './raft.ts';
import { appendLeaderEntries, maybeCommit } from './replication.ts';
import { handOverLeadership } from './transfer.ts';
import { type ConfigState, type Entry, EntryType, Role } from './types.ts';

export type ConfigProposalResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly error: RaftError };

function refused(error: RaftError): ConfigProposalResult {
  return { ok: false, error };
}

export function proposeConfigChange(r: Raft, change: ConfigChange): ConfigProposalResult {
  if (r.role !== Role.Leader) {
    return refused(
      new RaftError('not-leader', 'membership changes go to the leader', { leader: r.leader }),
    );
  }
  if (r.transferee !== 0) {
    return refused(
      new RaftError('transfer-in-progress', `leadership is moving to ${r.transferee}`),
    );
  }
  if (r.pendingConfigIndex > r.log.applied || isJoint(r.config)) {
    return refused(
      new RaftError('config-change-pending', 'the previous membership change is not applied yet'),
    );
  }
  if (typeof change !== 'object' || change === null || !Array.isArray(change.steps)) {
    return refused(new RaftError('invalid-config-change', 'a change needs a steps array'));
  }
  const outcome = applyConfigChange(r.config, change.steps);
  if (!outcome.ok) return refused(new RaftError('invalid-config-change', outcome.reason));
  for (const step of change.steps) {
    if (!outcome.config.voters.includes(step.node) || r.config.voters.includes(step.node)) continue;
    const pr = r.progress.get(step.node);
    if (pr === undefined || pr.match + r.options.learnerCatchUpLagMax < r.log.lastIndex()) {
      return refused(
        new RaftError(
          'learner-not-caught-up',
          `learner ${step.node} is at ${pr?.match ?? 0} of ${r.log.lastIndex()}`,
        ),
      );
    }
  }
  const index = appendConfigEntry(r, encodeConfigEntry({ kind: 'change', steps: change.steps }));
  r.trace('raft.config-proposed', { index, next: describeConfig(outcome.config) });
  return { ok: true, index, term: r.term };
}

function appendConfigEntry(r: Raft, data: Uint8Array): number {
  const entry: Entry = { index: r.log.lastIndex() + 1, term: r.term, type: EntryType.Config, data };
  appendLeaderEntries(r, [entry]);
  r.pendingConfigIndex = entry.index;
  r.configEntryUnapplied = entry.index;
  return entry.index;
}

/** Applies a committed Config entry the host has just applied. */
export function applyConfigEntry(r: Raft, entry: Entry): void {
  if (entry.index <= r.configIndex) return; // already reflected (an installed snapshot)
  const payload = decodeConfigEntry(entry.data);
  const outcome =
    payload === undefined
      ? ({ ok: false, reason: 'undecodable payload' } as const)
      : payload.kind === 'leave-joint'
        ? leaveJoint(r.config)
        : applyConfigChange(r.config, payload.steps);
  if (!outcome.ok) {
    r.counters.invalidConfigEntries++;
    r.logger.warn('raft.config-entry-skipped', {
      ...r.fields(),
      index: entry.index,
      reason: outcome.reason,
    });
    return;
  }
  switchToConfig(r, outcome.config, entry.index);
}

export function switchToConfig(r: Raft, config: ConfigState, index: number): void {
  r.config = config;
  r.configIndex = index;
  r.configHistory.push({ index, config });
  r.trace('raft.config-applied', { index, config: describeConfig(config) });
  if (r.role === Role.Leader) {
    r.syncProgress();
    if (r.transferee !== 0 && !isVoter(config, r.transferee)) r.transferee = 0;
    if (!isVoter(config, r.id)) {
      r.logger.warn('raft.leader-removed', r.fields());
      handOverLeadership(r);
    }
    maybeCommit(r);
    r.appendBroadcastPending = true;
  } else if (r.role !== Role.Follower && !isVoter(config, r.id)) {
    r.becomeFollower(r.term, 0);
  }
}

/** Leader, after the host applied entries: leave a joint configuration once entered. */
export function maybeLeaveJoint(r: Raft): void {
  if (r.role !== Role.Leader || !isJoint(r.config)) return;
  if (r.pendingConfigIndex > r.log.applied) return;
  const index = appendConfigEntry(r, encodeConfigEntry({ kind: 'leave-joint' }));
  r.trace('raft.config-leave-joint-proposed', { index });
}

/** The membership as of `index` (for a snapshot's metadata). */
export function configAt(r: Raft, index: number): ConfigState {
  let found: ConfigAtIndex | undefined;
  for (const entry of r.configHistory) {
    if (entry.index <= index) found = entry;
    else break;
  }
  r.check(found !== undefined, `no membership known at index ${index}`);
  return found.config;
}

/** Forgets memberships older than the one in force at `index` (the log is compacted). */
export function trimConfigHistory(r: Raft, index: number): void {
  let keepFrom = 0;
  r.configHistory.forEach((entry, i) => {
    if (entry.index <= index) keepFrom = i;
  });
  if (keepFrom > 0) r.configHistory = r.configHistory.slice(keepFrom);
}

/** The index of the last Config entry in our log that is not applied yet, or 0. */
export function lastUnappliedConfigIndex(r: Raft): number {
  let last = 0;
  const low = Math.max(r.log.applied + 1, r.log.firstIndex());
  const high = r.log.lastIndex() + 1;
  for (let at = low; at < high; ) {
    const batch = r.log.entries(at, high, r.options.committedBytesPerReadyMax);
    for (const entry of batch) if (entry.type === EntryType.Config) last = entry.index;
    at += batch.length;
  }
  return last;
}
