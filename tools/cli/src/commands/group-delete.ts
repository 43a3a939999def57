/** `tributary group delete <group>...`: forgets empty groups and their committed offsets. */
import { withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import type { Command, CommandContext } from './command.ts';

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, Number.MAX_SAFE_INTEGER, '<group>');
  const groups = args.positionals;
  await withAdmin(settings, io, (admin, options) => admin.deleteGroups(groups, options));
  for (const group of groups) await out.print(`deleted ${group}\n`);
  return ExitCode.ok;
}

export const groupDelete: Command = {
  noun: 'group',
  verb: 'delete',
  summary: 'delete groups and their committed offsets',
  usage: '<group>... [flags]',
  details: 'A group with active members cannot be deleted (exit 1): stop its consumers first.',
  flags: [],
  examples: ['tributary group delete billing'],
  run,
};
