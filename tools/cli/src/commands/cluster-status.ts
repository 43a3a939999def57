/** `tributary cluster status`: brokers (alive or not), the controller, partition counts. */
import { formatFlag } from '../args/flag-spec.ts';
import { withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import { renderFields, renderTable } from '../format/table.ts';
import { brokerAddress, type ClusterView } from '../health/cluster-view.ts';
import { readFormat } from '../output.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';
import { isInternalTopic } from './topic-list.ts';

export interface ClusterStatus extends ClusterView {
  readonly topics: number;
}

function role(view: ClusterView, broker: ClusterView['brokers'][number]): string {
  const roles = [
    ...(broker.nodeId === view.controllerId ? ['controller'] : []),
    broker.controllerVoter ? 'voter' : 'broker',
  ];
  return roles.join(', ');
}

export function renderClusterStatus(status: ClusterStatus, style?: Style): string {
  const { total, offline, underReplicated } = status.partitions;
  const summary = renderFields(
    [
      ['cluster', status.clusterId],
      ['controller', status.controllerId < 0 ? 'none' : `node ${status.controllerId}`],
      [
        'brokers',
        `${status.brokers.filter((b) => b.alive).length} alive of ${status.brokers.length}`,
      ],
      ['topics', String(status.topics)],
      ['partitions', `${total} total, ${offline} offline, ${underReplicated} under-replicated`],
    ],
    style,
  );
  const brokers = renderTable(
    [
      { header: 'ID', align: 'right' },
      { header: 'ADDRESS' },
      { header: 'STATUS' },
      { header: 'HEARTBEAT', align: 'right' },
      { header: 'ROLE' },
    ],
    [...status.brokers]
      .sort((a, b) => a.nodeId - b.nodeId)
      .map((b) => [
        String(b.nodeId),
        brokerAddress(b),
        b.alive ? 'alive' : style === undefined ? 'dead' : style.red('dead'),
        b.lastHeartbeatAgeMs < 0 ? '-' : `${b.lastHeartbeatAgeMs}ms ago`,
        role(status, b),
      ]),
    style,
  );
  return `${summary}\n${brokers}`;
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(0, 0, 'no arguments');
  const format = readFormat(args);
  const status = await withAdmin(settings, io, async (admin, options) => {
    const view = await admin.describeCluster(options);
    const topics = (await admin.listTopics(options)).filter((t) => !isInternalTopic(t)).length;
    return { ...view, topics };
  });
  if (format === 'json') await out.json(status);
  else await out.print(renderClusterStatus(status, out.style));
  return ExitCode.ok;
}

export const clusterStatus: Command = {
  noun: 'cluster',
  verb: 'status',
  summary: 'show brokers, the controller and partition counts',
  usage: '[flags]',
  details: 'Asks the controller (through any reachable broker); fails (exit 1) if none answers.',
  flags: [formatFlag],
  examples: ['tributary cluster status --brokers 10.0.0.1:9092,10.0.0.2:9092'],
  run,
};
