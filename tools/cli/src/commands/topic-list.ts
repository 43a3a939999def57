/** `tributary topic list`: topics with their partition counts and replication factors. */
import type { Admin } from '@tributary/client';
import { formatFlag } from '../args/flag-spec.ts';
import { type CallOptions, withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import { renderTable } from '../format/table.ts';
import { readFormat } from '../output.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';

export interface TopicSummary {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** Names starting with `__` belong to the cluster (consumer offsets, ...). */
export function isInternalTopic(name: string): boolean {
  return name.startsWith('__');
}

export async function topicSummaries(admin: Admin, options: CallOptions): Promise<TopicSummary[]> {
  const { topics } = await admin.fetchTopicMetadata(options);
  return topics
    .map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.length,
      replicationFactor: Math.max(0, ...topic.partitions.map((p) => p.replicas.length)),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function renderTopicList(topics: readonly TopicSummary[], style?: Style): string {
  return renderTable(
    [
      { header: 'NAME' },
      { header: 'PARTITIONS', align: 'right' },
      { header: 'REPLICAS', align: 'right' },
    ],
    topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor)]),
    style,
  );
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(0, 0, 'no arguments');
  const format = readFormat(args);
  const all = await withAdmin(settings, io, topicSummaries);
  const topics = args.boolean('internal') ? all : all.filter((t) => !isInternalTopic(t.name));
  if (format === 'json') await out.json(topics);
  else await out.print(renderTopicList(topics, out.style));
  return ExitCode.ok;
}

export const topicList: Command = {
  noun: 'topic',
  verb: 'list',
  summary: 'list topics',
  usage: '[flags]',
  flags: [
    formatFlag,
    {
      name: 'internal',
      short: 'i',
      kind: 'boolean',
      description: "include the cluster's internal topics (names starting with __)",
    },
  ],
  examples: ['tributary topic list', 'tributary topic list --format json | jq -r ".[].name"'],
  run,
};
