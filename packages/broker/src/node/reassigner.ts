/**
 * Moves partitions to new replica lists, run by each partition's leader. A reassignment
 * (the metadata's `targetReplicas`) proceeds one safe membership change at a time:
 *
 *   1. new replicas join as learners and catch up from the leader;
 *   2. once caught up, one change promotes them and removes the replicas leaving (joint
 *      consensus when it changes several voters at once);
 *   3. when the voters are exactly the target, the leader reports it done and the
 *      controller records the new replica list; replicas no longer listed are dropped.
 *
 * The same mechanism adds a newly registered broker to the metadata group as a learner,
 * so it follows the metadata log.
 */
import { Role } from '@tributary/raft';
import { ConfigChangeType, type HostedGroup } from '@tributary/raft/host';
import type { Logger } from '../logger.ts';
import type { MetadataState } from '../metadata/state.ts';

export interface ReassignmentProgress {
  readonly groupId: number;
  readonly replicas: number[];
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return (
    a.length === b.length &&
    [...a].sort((x, y) => x - y).join() === [...b].sort((x, y) => x - y).join()
  );
}

/** Takes the next step towards `target` voters; returns true once there. */
export function stepTowards(
  group: HostedGroup,
  target: readonly number[],
  logger: Logger,
): boolean {
  const status = group.status();
  if (status.role !== Role.Leader) return false;
  const { voters, learners, outgoingVoters } = status.config;
  if (outgoingVoters.length > 0 || status.pendingConfigIndex > status.applied) return false;
  if (sameMembers(voters, target) && learners.length === 0) return true;
  const members = new Set([...voters, ...learners]);
  const joining = target.filter((id) => !members.has(id));
  if (joining.length > 0) {
    const result = group.proposeConfigChange({
      steps: joining.map((node) => ({ type: ConfigChangeType.AddLearner, node })),
    });
    if (!result.ok)
      logger.debug('reassignment: adding learners deferred', {
        group: group.id,
        reason: result.error.message,
      });
    else logger.info('reassignment: learners added', { group: group.id, nodes: joining });
    return false;
  }
  const strays = learners.filter((id) => !target.includes(id));
  const promote = learners.filter((id) => target.includes(id));
  const leaving = voters.filter((id) => !target.includes(id));
  const steps = [
    ...promote.map((node) => ({ type: ConfigChangeType.AddVoter, node })),
    ...leaving.map((node) => ({ type: ConfigChangeType.RemoveNode, node })),
    ...strays.map((node) => ({ type: ConfigChangeType.RemoveNode, node })),
  ];
  const result = group.proposeConfigChange({ steps });
  if (!result.ok)
    logger.debug('reassignment: membership change deferred', {
      group: group.id,
      reason: result.error.message,
    });
  else logger.info('reassignment: voters changing', { group: group.id, promote, leaving, strays });
  return false;
}

/** Partitions led here that reached their target: to report to the controller. */
export function advanceReassignments(options: {
  readonly state: MetadataState;
  readonly groups: Iterable<HostedGroup>;
  readonly logger: Logger;
}): ReassignmentProgress[] {
  const done: ReassignmentProgress[] = [];
  for (const group of options.groups) {
    const target = options.state.partitionsByGroup.get(group.id)?.targetReplicas;
    if (!target) continue;
    if (stepTowards(group, target, options.logger))
      done.push({ groupId: group.id, replicas: [...target] });
  }
  return done;
}

/** On the metadata leader: every registered broker that is not a member follows as a learner. */
export function addBrokersAsMetadataLearners(
  group: HostedGroup,
  state: MetadataState,
  logger: Logger,
): void {
  const status = group.status();
  if (status.role !== Role.Leader || status.config.outgoingVoters.length > 0) return;
  if (status.pendingConfigIndex > status.applied) return;
  const members = new Set([...status.config.voters, ...status.config.learners]);
  const missing = [...state.brokers.keys()].filter((id) => !members.has(id));
  if (missing.length === 0) return;
  const result = group.proposeConfigChange({
    steps: missing.map((node) => ({ type: ConfigChangeType.AddLearner, node })),
  });
  if (!result.ok) logger.debug('metadata learners deferred', { reason: result.error.message });
  else logger.info('brokers added to the metadata group as learners', { nodes: missing });
}
