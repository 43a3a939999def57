/** `tributary topic describe <topic>`: partitions, leaders, replicas, offsets and configs. */
import type { Admin, PartitionDescription } from '@tributary/client';
import { formatFlag } from '../args/flag-spec.ts';
import { type CallOptions, withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import { renderFields, renderTable } from '../format/table.ts';
import { readFormat } from '../output.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';

export interface TopicDescription {
  readonly name: string;
  readonly replicationFactor: number;
  readonly partitions: readonly {
    readonly partition: number;
    readonly leader: number;
    readonly leaderEpoch: number;
    readonly replicas: readonly number[];
    readonly learners: readonly number[];
    readonly logStartOffset: bigint;
    readonly highWatermark: bigint;
  }[];
  readonly configs: readonly { name: string; value: string; isDefault: boolean }[];
}

async function describeTopic(
  admin: Admin,
  topic: string,
  options: CallOptions,
): Promise<TopicDescription> {
  const metadata = await admin.fetchTopicMetadata({ ...options, topics: [topic] });
  const [configs] = await admin.describeConfigs({ ...options, topics: [topic] });
  const offsets = await admin.fetchTopicOffsets(topic, options);
  const partitions: readonly PartitionDescription[] = metadata.topics[0]?.partitions ?? [];
  return {
    name: topic,
    replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
    partitions: [...partitions]
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => {
        const range = offsets.find((o) => o.partition === p.partitionId);
        return {
          partition: p.partitionId,
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicas,
          learners: p.learners,
          logStartOffset: range?.low ?? -1n,
          highWatermark: range?.high ?? -1n,
        };
      }),
    configs: configs?.configs ?? [],
  };
}

const nodeList = (ids: readonly number[]) => (ids.length === 0 ? '-' : ids.join(','));

export function renderTopicDescription(topic: TopicDescription, style?: Style): string {
  const summary = renderFields(
    [
      ['name', topic.name],
      ['partitions', String(topic.partitions.length)],
      ['replication factor', String(topic.replicationFactor)],
    ],
    style,
  );
  const configs = renderTable(
    [{ header: 'CONFIG' }, { header: 'VALUE' }, { header: 'SOURCE' }],
    topic.configs.map((c) => [c.name, c.value, c.isDefault ? 'default' : 'topic']),
    style,
  );
  const partitions = renderTable(
    ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'LEARNERS', 'LOG-START', 'HIGH-WATERMARK'].map(
      (header, i) => ({ header, align: i === 3 || i === 4 ? 'left' : 'right' }) as const,
    ),
    topic.partitions.map((p) => [
      String(p.partition),
      p.leader < 0 ? 'none' : String(p.leader),
      String(p.leaderEpoch),
      nodeList(p.replicas),
      nodeList(p.learners),
      p.logStartOffset.toString(),
      p.highWatermark.toString(),
    ]),
    style,
  );
  return `${summary}\n${configs}\n${partitions}`;
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, 1, '<topic>');
  const format = readFormat(args);
  const topic = args.positionals[0] as string;
  const description = await withAdmin(settings, io, (admin, options) =>
    describeTopic(admin, topic, options),
  );
  if (format === 'json') await out.json(description);
  else await out.print(renderTopicDescription(description, out.style));
  return ExitCode.ok;
}

export const topicDescribe: Command = {
  noun: 'topic',
  verb: 'describe',
  summary: 'show partitions, leaders, replicas, offsets and configs of a topic',
  usage: '<topic> [flags]',
  flags: [formatFlag],
  examples: ['tributary topic describe orders'],
  run,
};
