/**
 * When is a cluster under test healthy enough to go on (after start, after the faults heal)?
 * Every running node must answer /health; each must be healthy, or *degraded* in the ways a
 * disk fault is designed to leave a node (a replica fenced because its data was damaged, or
 * Raft storage stopped on damage); and a majority of all nodes must be fully healthy. A
 * degraded or refusing node is reported in the note, never hidden.
 */

export interface NodeHealth {
  readonly node: string;
  readonly running: boolean;
  /** Undefined when the node did not answer. */
  readonly healthy: boolean | undefined;
  readonly problems: readonly string[];
}

export interface HealthVerdict {
  readonly ready: boolean;
  /** What is not fully healthy (degraded or stopped nodes), for the run's recovery note. */
  readonly note: string | undefined;
  /** Why not ready, when not. */
  readonly reason: string | undefined;
}

/** Problems a damaged disk is designed to cause: loud, and not a reason to wait forever. */
const designedDamage = [/fenced partition replica/, /^raft storage failed/];

export function isDegradedByDamage(health: NodeHealth): boolean {
  return (
    health.healthy === false &&
    health.problems.length > 0 &&
    health.problems.every((p) => designedDamage.some((pattern) => pattern.test(p)))
  );
}

export function judgeHealth(reports: readonly NodeHealth[]): HealthVerdict {
  const silent = reports.filter((r) => r.running && r.healthy === undefined);
  const sick = reports.filter((r) => r.running && r.healthy === false && !isDegradedByDamage(r));
  const healthy = reports.filter((r) => r.healthy === true).length;
  const majority = Math.floor(reports.length / 2) + 1;
  const notes = [
    ...reports
      .filter(isDegradedByDamage)
      .map((r) => `${r.node} degraded (${r.problems.join(', ')})`),
    ...reports.filter((r) => !r.running).map((r) => `${r.node} not running`),
  ];
  const note = notes.length > 0 ? notes.join('; ') : undefined;
  if (silent.length > 0)
    return { ready: false, note, reason: `no answer from ${silent.map((r) => r.node)}` };
  if (sick.length > 0) {
    const why = sick.map((r) => `${r.node}: ${r.problems.join(', ') || 'unhealthy'}`);
    return { ready: false, note, reason: why.join('; ') };
  }
  if (healthy < majority)
    return { ready: false, note, reason: `${healthy} of ${reports.length} nodes healthy` };
  return { ready: true, note, reason: undefined };
}
