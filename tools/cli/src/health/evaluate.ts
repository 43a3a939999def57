/**
 * Whether the cluster is healthy, as a list of checks: the controller answered and has a
 * leader; every broker answered a metadata request and sees a leader for every partition;
 * the controller counts every broker alive and no partition offline or under-replicated.
 * Pure: the probes were made before.
 */
import { brokerAddress, type ClusterView } from './cluster-view.ts';

export interface BrokerProbe {
  readonly address: string;
  /** Set when the probe failed. */
  readonly error?: string;
  /** Partitions without a leader in this broker's metadata. */
  readonly leaderless?: number;
  readonly partitions?: number;
}

export interface HealthCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export type ControllerAnswer = { readonly view: ClusterView } | { readonly error: string };

function controllerChecks(answer: ControllerAnswer): HealthCheck[] {
  if ('error' in answer) {
    return [{ name: 'controller', ok: false, detail: `no answer: ${answer.error}` }];
  }
  const { view } = answer;
  const { total, offline, underReplicated } = view.partitions;
  return [
    {
      name: 'controller',
      ok: view.controllerId >= 0,
      detail: view.controllerId >= 0 ? `node ${view.controllerId}` : 'no controller leader',
    },
    {
      name: 'partitions',
      ok: offline === 0 && underReplicated === 0,
      detail: `${total} total, ${offline} offline, ${underReplicated} under-replicated`,
    },
  ];
}

function brokerCheck(probe: BrokerProbe, answer: ControllerAnswer): HealthCheck {
  const known =
    'view' in answer
      ? answer.view.brokers.find((b) => brokerAddress(b) === probe.address)
      : undefined;
  const name =
    known === undefined ? `broker ${probe.address}` : `broker ${known.nodeId} (${probe.address})`;
  if (probe.error !== undefined) return { name, ok: false, detail: `unreachable: ${probe.error}` };
  const problems: string[] = [];
  if (known !== undefined && !known.alive) {
    problems.push(`no heartbeat for ${known.lastHeartbeatAgeMs}ms`);
  }
  if ((probe.leaderless ?? 0) > 0) problems.push(`${probe.leaderless} partitions without a leader`);
  return {
    name,
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `metadata ok (${probe.partitions ?? 0} partitions)`
        : problems.join(', '),
  };
}

export function evaluateHealth(
  answer: ControllerAnswer,
  probes: readonly BrokerProbe[],
): HealthCheck[] {
  return [...controllerChecks(answer), ...probes.map((probe) => brokerCheck(probe, answer))];
}

export function isHealthy(checks: readonly HealthCheck[]): boolean {
  return checks.length > 0 && checks.every((c) => c.ok);
}
