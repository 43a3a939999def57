/** Partition replicas of topic `t`, partition 0, for tests. */
import { join } from 'node:path';
import { initChecksums } from '@tributary/protocol';
import type { RaftHost } from '@tributary/raft/host';
import { type LogConfig, PartitionLog } from '@tributary/storage';
import { silentLogger } from '../../src/logger.ts';
import { type ApplyCheckpoint, emptyCheckpoint } from '../../src/partition/apply-checkpoint.ts';
import { PartitionReplica } from '../../src/partition/replica.ts';
import type { CopyRetry, CopySource } from '../../src/partition/replica-copy.ts';

export function hostedReplica(
  host: RaftHost,
  options: {
    groupId: number;
    nodeId: number;
    directory: string;
    log: PartitionLog;
    voters: number[];
  },
) {
  const { groupId, nodeId, directory, log, voters } = options;
  const replica = new PartitionReplica({
    topic: 't',
    partition: 0,
    groupId,
    nodeId,
    directory,
    log,
    checkpoint: emptyCheckpoint,
    logger: silentLogger,
    copySource: () => {
      throw new Error('no snapshot in this test');
    },
  });
  const group = host.createGroup(groupId, {
    stateMachine: replica,
    bootstrap: { voters, outgoingVoters: [], learners: [] },
  });
  replica.attach(group);
  return { replica, group };
}

/**
 * A replica outside any Raft group (the test plays the host: apply, restore), opened as the
 * replica manager opens one: its log cut back to its checkpoint.
 */
export async function replicaIn(
  directory: string,
  checkpoint: ApplyCheckpoint = emptyCheckpoint,
  config: Partial<LogConfig> = {},
  copySource: CopySource = () => {
    throw new Error('no snapshot in this test');
  },
  copyRetry?: CopyRetry,
): Promise<PartitionReplica> {
  await initChecksums();
  const log = await PartitionLog.open({ directory: join(directory, 'log'), config });
  // As the replica manager opens a replica: the log cut back to its checkpoint.
  if (log.logEndOffset > checkpoint.nextOffset) await log.truncateTo(checkpoint.nextOffset);
  return new PartitionReplica({
    topic: 't',
    partition: 0,
    groupId: 7,
    nodeId: 1,
    directory,
    log,
    checkpoint,
    logger: silentLogger,
    copySource: () => copySource,
    ...(copyRetry ? { copyRetry } : {}),
  });
}
