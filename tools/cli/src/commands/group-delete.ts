/** `tributary group delete <group>...`: forgets empty groups and their committed offsets. */
import { withGroupAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import type { Command, CommandContext } from './command.ts';

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, Number.MAX_SAFE_INTEGER, '<group>');
  // One at a time: a retried request then never repeats a deletion that succeeded.
  for (const group of args.positionals) {
    await withGroupAdmin(settings, io, (admin, options) => admin.deleteGroups([group], options));
    await out.print(`deleted ${group}\n`);
  }
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
