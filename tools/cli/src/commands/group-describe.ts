/**
 * `tributary group describe <group>`: the group's state and members, and per partition
 * its committed (current) offset, log end, lag and the member consuming it.
 */
import type { GroupDescription } from '@tributary/client';
import { formatFlag } from '../args/flag-spec.ts';
import { withGroupAdmin } from '../connection.ts';
import { OperationError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { renderFields, renderTable } from '../format/table.ts';
import { readFormat } from '../output.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';

/** Records the group has not consumed yet, summed over partitions whose lag is known. */
export function totalLag(group: GroupDescription): bigint {
  return group.offsets.reduce((sum, p) => (p.lag >= 0n ? sum + p.lag : sum), 0n);
}

const orDash = (text: string | undefined) => (text === undefined || text === '' ? '-' : text);

export function renderGroupDescription(group: GroupDescription, style?: Style): string {
  const summary = renderFields(
    [
      ['group', group.groupId],
      ['state', group.state],
      ['protocol', `${orDash(group.protocolType)}/${orDash(group.protocol)}`],
      ['generation', String(group.generationId)],
      ['members', String(group.members.length)],
      ['total lag', totalLag(group).toString()],
    ],
    style,
  );
  const members = new Map(group.members.map((m) => [m.memberId, m]));
  const rows = [...group.offsets]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((p) => {
      const member = p.memberId === null ? undefined : members.get(p.memberId);
      return [
        p.topic,
        String(p.partition),
        p.committedOffset < 0n ? '-' : p.committedOffset.toString(),
        p.logEndOffset < 0n ? '-' : p.logEndOffset.toString(),
        p.lag < 0n ? '-' : p.lag.toString(),
        orDash(p.memberId ?? undefined),
        orDash(member?.clientId),
        orDash(member?.clientHost),
      ];
    });
  const table = renderTable(
    [
      { header: 'TOPIC' },
      { header: 'PARTITION', align: 'right' },
      { header: 'CURRENT-OFFSET', align: 'right' },
      { header: 'LOG-END-OFFSET', align: 'right' },
      { header: 'LAG', align: 'right' },
      { header: 'MEMBER-ID' },
      { header: 'CLIENT-ID' },
      { header: 'HOST' },
    ],
    rows,
    style,
  );
  return `${summary}\n${table}`;
}

/** A group the coordinator has no trace of (no members, no offsets). */
function isAbsent(group: GroupDescription): boolean {
  return group.state === 'Dead' && group.members.length === 0 && group.offsets.length === 0;
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, 1, '<group>');
  const format = readFormat(args);
  const groupId = args.positionals[0] as string;
  const { groups } = await withGroupAdmin(settings, io, (admin, options) =>
    admin.describeGroups([groupId], options),
  );
  const group = groups[0];
  if (group === undefined || isAbsent(group)) {
    throw new OperationError(`group ${groupId} does not exist`);
  }
  if (format === 'json') await out.json({ ...group, totalLag: totalLag(group) });
  else await out.print(renderGroupDescription(group, out.style));
  return ExitCode.ok;
}

export const groupDescribe: Command = {
  noun: 'group',
  verb: 'describe',
  summary: 'show a group, its members, and per partition its offset, log end and lag',
  usage: '<group> [flags]',
  details:
    'CURRENT-OFFSET is the committed offset (the next record the group will read);\n' +
    'LAG is LOG-END-OFFSET minus it (from the log start when nothing is committed).',
  flags: [formatFlag],
  examples: ['tributary group describe billing'],
  run,
};
