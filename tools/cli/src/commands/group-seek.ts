/**
 * `tributary group seek <group> --topic t --to <position>`: moves an empty group's
 * committed offsets (earliest, latest, a time, an exact offset, or N before the end).
 * The coordinator refuses while the group has members, which would overwrite them.
 */
import type { Admin } from '@tributary/client';
import { type CallOptions, withGroupAdmin } from '../connection.ts';
import { selectPartitions } from '../consume/start-targets.ts';
import { ExitCode } from '../exit-codes.ts';
import { renderTable } from '../format/table.ts';
import { parsePartitionList } from '../input/integer.ts';
import {
  offsetInRange,
  parseStartPosition,
  type StartPosition,
  startPositionSyntax,
} from '../input/start-position.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';

interface SeekPlan {
  readonly groupId: string;
  readonly topic: string;
  readonly to: StartPosition;
  readonly partitions: readonly number[] | undefined;
}

export interface OffsetMove {
  readonly partition: number;
  /** The committed offset before, -1 if none. */
  readonly previous: bigint;
  readonly offset: bigint;
}

async function targetOffsets(admin: Admin, plan: SeekPlan, options: CallOptions) {
  const offsets = selectPartitions(
    await admin.fetchTopicOffsets(plan.topic, options),
    plan.topic,
    plan.partitions,
  );
  const to = plan.to;
  if (to.kind !== 'timestamp') {
    return offsets.map((o) => ({ partition: o.partition, offset: offsetInRange(to, o) }));
  }
  const found = await admin.fetchTopicOffsetsByTimestamp(plan.topic, to.timestampMs, options);
  return offsets.map((o) => ({
    partition: o.partition,
    offset: found.find((f) => f.partition === o.partition)?.offset ?? o.high,
  }));
}

async function seek(admin: Admin, plan: SeekPlan, options: CallOptions): Promise<OffsetMove[]> {
  const targets = await targetOffsets(admin, plan, options);
  const before = await admin.fetchOffsets({
    ...options,
    groupId: plan.groupId,
    topics: [plan.topic],
  });
  const previous = new Map(before.flatMap((t) => t.partitions.map((p) => [p.partition, p.offset])));
  await admin.setOffsets({
    ...options,
    groupId: plan.groupId,
    topic: plan.topic,
    partitions: targets,
  });
  return targets.map((t) => ({ ...t, previous: previous.get(t.partition) ?? -1n }));
}

export function renderOffsetMoves(topic: string, moves: readonly OffsetMove[], style?: Style) {
  return renderTable(
    [
      { header: 'TOPIC' },
      { header: 'PARTITION', align: 'right' },
      { header: 'PREVIOUS', align: 'right' },
      { header: 'NEW', align: 'right' },
    ],
    moves.map((m) => [
      topic,
      String(m.partition),
      m.previous < 0n ? '-' : m.previous.toString(),
      m.offset.toString(),
    ]),
    style,
  );
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, 1, '<group>');
  const topic = args.string('topic');
  if (topic === undefined) throw args.usage('--topic is required');
  const toText = args.string('to');
  if (toText === undefined) throw args.usage(`--to is required (${startPositionSyntax})`);
  const partitions = args.string('partitions');
  const plan: SeekPlan = {
    groupId: args.positionals[0] as string,
    topic,
    to: parseStartPosition(toText, '--to'),
    partitions: partitions === undefined ? undefined : parsePartitionList(partitions),
  };
  const moves = await withGroupAdmin(settings, io, (admin, options) => seek(admin, plan, options));
  await out.print(renderOffsetMoves(topic, moves, out.style));
  return ExitCode.ok;
}

export const groupSeek: Command = {
  noun: 'group',
  verb: 'seek',
  summary: "move an empty group's committed offsets on a topic",
  usage: '<group> --topic <topic> --to <position> [flags]',
  details:
    'Positions (--to):\n' +
    '  beginning | earliest     the first offset still in the log\n' +
    '  end | latest             the log end (skip everything so far)\n' +
    '  <offset>                 this offset in each partition (kept inside the log)\n' +
    '  -<count>                 that many records before the end of each partition\n' +
    '  @<ms> | @<ISO date>      the first record at or after this time\n' +
    'The group must have no active members (exit 1 otherwise); a group that does not\n' +
    'exist yet is created with these offsets.',
  flags: [
    {
      name: 'topic',
      short: 't',
      kind: 'string',
      valueName: 'topic',
      description: 'the topic whose offsets move (required)',
    },
    {
      name: 'to',
      kind: 'string',
      valueName: startPositionSyntax,
      description: 'where to move them (required)',
    },
    {
      name: 'partitions',
      short: 'p',
      kind: 'string',
      valueName: 'n,n,...',
      description: 'only these partitions',
      defaultText: 'all',
    },
  ],
  examples: [
    'tributary group seek billing --topic orders --to beginning',
    'tributary group seek billing --topic orders --to @2024-05-01T00:00:00Z',
    'tributary group seek billing --topic orders --to 42 --partitions 0',
  ],
  run,
};
