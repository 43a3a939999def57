/** A partition replica of topic `t`, partition 0, hosted in a real Raft group. */
import type { RaftHost } from '@tributary/raft/host';
import type { PartitionLog } from '@tributary/storage';
import { silentLogger } from '../../src/logger.ts';
import { emptyCheckpoint } from '../../src/partition/apply-checkpoint.ts';
import { PartitionReplica } from '../../src/partition/replica.ts';

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
