/** `tributary topic delete <topic>...`: deletes topics and their records. */
import { withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import type { Command, CommandContext } from './command.ts';

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, Number.MAX_SAFE_INTEGER, '<topic>');
  const topics = args.positionals;
  await withAdmin(settings, io, (admin, options) => admin.deleteTopics({ ...options, topics }));
  for (const topic of topics) await out.print(`deleted ${topic}\n`);
  return ExitCode.ok;
}

export const topicDelete: Command = {
  noun: 'topic',
  verb: 'delete',
  summary: 'delete topics and all their records',
  usage: '<topic>... [flags]',
  details: 'An unknown topic fails the whole command (exit 1) before anything is deleted.',
  flags: [],
  examples: ['tributary topic delete orders'],
  run,
};
