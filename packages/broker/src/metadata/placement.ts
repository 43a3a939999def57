/**
 * Replica placement for new partitions: spread replicas, and preferred leaders (the first
 * replica of each list), evenly over the live brokers, counting what they already hold.
 * Deterministic: the same state and request give the same assignment.
 */

export interface BrokerLoad {
  readonly nodeId: number;
  /** Replicas the broker already holds. */
  replicas: number;
  /** Partitions whose preferred leader it already is. */
  leaders: number;
}

function byLoad(a: BrokerLoad, b: BrokerLoad, key: 'replicas' | 'leaders'): number {
  return a[key] - b[key] || a.replicas - b.replicas || a.nodeId - b.nodeId;
}

/**
 * Returns one replica list per partition. Throws a RangeError if fewer brokers than the
 * replication factor are given (the caller turns that into INVALID_REPLICATION_FACTOR).
 */
export function placeReplicas(
  brokers: readonly BrokerLoad[],
  partitions: number,
  replicationFactor: number,
): number[][] {
  if (brokers.length < replicationFactor) {
    throw new RangeError(
      `replication factor ${replicationFactor} exceeds ${brokers.length} live brokers`,
    );
  }
  const loads = brokers.map((b) => ({ ...b }));
  const assignment: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const leader = [...loads].sort((a, b) => byLoad(a, b, 'leaders'))[0] as BrokerLoad;
    const followers = loads
      .filter((b) => b.nodeId !== leader.nodeId)
      .sort((a, b) => byLoad(a, b, 'replicas'))
      .slice(0, replicationFactor - 1);
    const replicas = [leader, ...followers];
    leader.leaders++;
    for (const r of replicas) r.replicas++;
    assignment.push(replicas.map((r) => r.nodeId));
  }
  return assignment;
}
