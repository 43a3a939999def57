/** `tributary cluster health`: exits 0 when healthy, 3 when not (for scripts and probes). */
import { formatFlag } from '../args/flag-spec.ts';
import { ExitCode } from '../exit-codes.ts';
import { evaluateHealth, type HealthCheck, isHealthy } from '../health/evaluate.ts';
import { probeCluster } from '../health/probe.ts';
import { readFormat } from '../output.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';

export function renderHealth(checks: readonly HealthCheck[], style?: Style): string {
  const paint = (ok: boolean, text: string) =>
    style === undefined ? text : ok ? style.green(text) : style.red(text);
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map(
    (c) => `${paint(c.ok, c.ok ? 'ok  ' : 'FAIL')}  ${c.name.padEnd(width)}  ${c.detail}\n`,
  );
  const failed = checks.filter((c) => !c.ok).length;
  const verdict =
    failed === 0 ? 'healthy' : `unhealthy: ${failed} failed check${failed === 1 ? '' : 's'}`;
  return `${lines.join('')}${paint(failed === 0, verdict)}\n`;
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(0, 0, 'no arguments');
  const format = readFormat(args);
  const { answer, probes } = await probeCluster(settings, io);
  const checks = evaluateHealth(answer, probes);
  const healthy = isHealthy(checks);
  if (format === 'json') await out.json({ healthy, checks });
  else await out.print(renderHealth(checks, out.style));
  return healthy ? ExitCode.ok : ExitCode.unhealthy;
}

export const clusterHealth: Command = {
  noun: 'cluster',
  verb: 'health',
  summary: 'check the cluster; exit 3 when unhealthy',
  usage: '[flags]',
  details:
    'Asks the controller (DescribeCluster) and every broker (a metadata request to that\n' +
    'broker alone, bootstrap brokers and those the controller knows). Unhealthy (exit 3)\n' +
    'when the controller does not answer or has no leader, a broker does not answer or\n' +
    'sends no heartbeats, a partition is offline or under-replicated, or a broker sees a\n' +
    'partition without a leader. Each check waits at most --timeout.',
  flags: [formatFlag],
  examples: ['tributary cluster health --timeout 3s || page-the-operator'],
  run,
};
