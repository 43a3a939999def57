/** `tributary group list`: every consumer group the brokers coordinate. */
import { formatFlag } from '../args/flag-spec.ts';
import { withGroupAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import { renderTable } from '../format/table.ts';
import { readFormat } from '../output.ts';
import type { Style } from '../style.ts';
import type { Command, CommandContext } from './command.ts';

export interface GroupListing {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
}

export function renderGroupList(groups: readonly GroupListing[], style?: Style): string {
  return renderTable(
    [{ header: 'GROUP' }, { header: 'STATE' }, { header: 'PROTOCOL-TYPE' }],
    groups.map((g) => [g.groupId, g.state, g.protocolType === '' ? '-' : g.protocolType]),
    style,
  );
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(0, 0, 'no arguments');
  const format = readFormat(args);
  const { groups } = await withGroupAdmin(settings, io, (admin, options) =>
    admin.listGroups(options),
  );
  if (format === 'json') await out.json(groups);
  else await out.print(renderGroupList(groups, out.style));
  return ExitCode.ok;
}

export const groupList: Command = {
  noun: 'group',
  verb: 'list',
  summary: 'list consumer groups',
  usage: '[flags]',
  flags: [formatFlag],
  examples: ['tributary group list'],
  run,
};
