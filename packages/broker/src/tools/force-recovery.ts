/**
 * Unsafe recovery of a Raft group that lost its majority for good: the explicit operator
 * action the durability table promises, never taken automatically (like etcd's
 * --force-new-cluster or Kafka's unclean leader election).
 *
 * On a STOPPED node, for one group, it appends to that node's own log, in a new term:
 * leave the joint configuration if in one, then remove every other voter, one entry each;
 * and it marks everything in the log committed. When the node starts, it is the group's
 * only voter, elects itself, and serves what it had. Records the lost replicas had
 * acknowledged but this one never received are gone; with acks=all, every acknowledged
 * record is on every replica, so any survivor has them all.
 *
 * Run it on ONE survivor per group; add replicas back afterwards with a reassignment.
 */
import { join } from 'node:path';
import { type ConfigState, type Entry, EntryType } from '@tributary/raft';
import {
  applyConfigChange,
  ConfigChangeType,
  decodeConfigEntry,
  encodeConfigEntry,
  RaftWal,
} from '@tributary/raft/host';

export interface ForceRecoveryResult {
  readonly group: number;
  readonly before: ConfigState;
  readonly removed: readonly number[];
  readonly term: number;
  readonly committedThrough: number;
}

export class ForceRecoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForceRecoveryError';
  }
}

/** The membership after every config entry in the log (committed or not), as recovery commits them all. */
function configAtEnd(initial: ConfigState, entries: readonly Entry[]): ConfigState {
  let config = initial;
  for (const entry of entries) {
    if (entry.type !== EntryType.Config) continue;
    const payload = decodeConfigEntry(entry.data);
    if (!payload) continue;
    if (payload.kind === 'leave-joint')
      config = { voters: config.voters, outgoingVoters: [], learners: config.learners };
    else {
      const outcome = applyConfigChange(config, payload.steps);
      if (outcome.ok) config = outcome.config;
    }
  }
  return config;
}

export async function forceRecovery(options: {
  dataDir: string;
  nodeId: number;
  group: number;
}): Promise<ForceRecoveryResult> {
  const wal = await RaftWal.open({ dir: join(options.dataDir, 'raft') });
  try {
    if (!wal.hasGroup(options.group))
      throw new ForceRecoveryError(`group ${options.group} has no state on this node`);
    const storage = wal.group(options.group);
    if (storage.fault)
      throw new ForceRecoveryError(`group ${options.group} is fenced: ${storage.fault.message}`);
    const { hardState } = storage.initialState();
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    const base = storage.snapshot()?.metadata.config ?? storage.initialState().config;
    const before = configAtEnd(
      base,
      last >= first ? storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [],
    );
    const term = Math.max(hardState.term, storage.term(last) ?? 0) + 1;
    const entries: Entry[] = [];
    const append = (data: Uint8Array) =>
      entries.push({ index: last + entries.length + 1, term, type: EntryType.Config, data });
    if (before.outgoingVoters.length > 0) append(encodeConfigEntry({ kind: 'leave-joint' }));
    const removed = before.voters.filter((id) => id !== options.nodeId);
    if (!before.voters.includes(options.nodeId)) {
      const outcome = applyConfigChange({ ...before, outgoingVoters: [] }, [
        { type: ConfigChangeType.AddVoter, node: options.nodeId },
      ]);
      if (!outcome.ok)
        throw new ForceRecoveryError(
          `node ${options.nodeId} is not a voter of group ${options.group} and cannot be made one: ${outcome.reason}`,
        );
      append(
        encodeConfigEntry({
          kind: 'change',
          steps: [{ type: ConfigChangeType.AddVoter, node: options.nodeId }],
        }),
      );
    }
    for (const node of removed)
      append(
        encodeConfigEntry({ kind: 'change', steps: [{ type: ConfigChangeType.RemoveNode, node }] }),
      );
    const committedThrough = last + entries.length;
    storage.stage({ entries, hardState: { term, vote: options.nodeId, commit: committedThrough } });
    await wal.sync();
    return { group: options.group, before, removed, term, committedThrough };
  } finally {
    await wal.close();
  }
}
