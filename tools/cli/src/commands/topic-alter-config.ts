/** `tributary topic alter-config <topic> --set k=v --delete k`: changes topic configs. */
import { withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import { parseKeyValue } from '../input/key-value.ts';
import type { Command, CommandContext } from './command.ts';

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, 1, '<topic>');
  const name = args.positionals[0] as string;
  const set: Record<string, string> = {};
  for (const text of args.list('set')) {
    const { key, value } = parseKeyValue(text, '--set');
    set[key] = value;
  }
  const reset = [...args.list('delete')];
  if (Object.keys(set).length === 0 && reset.length === 0) {
    throw args.usage('nothing to change: give --set key=value or --delete key');
  }
  const both = reset.find((key) => key in set);
  if (both !== undefined) throw args.usage(`${both} is both set and deleted`);
  await withAdmin(settings, io, (admin, options) =>
    admin.alterConfigs({ ...options, topics: [{ name, set, delete: reset }] }),
  );
  const changes = [
    ...Object.entries(set).map(([key, value]) => `${key}=${value}`),
    ...reset.map((key) => `${key} (default)`),
  ];
  await out.print(`updated ${name}: ${changes.join(', ')}\n`);
  return ExitCode.ok;
}

export const topicAlterConfig: Command = {
  noun: 'topic',
  verb: 'alter-config',
  summary: 'set topic configs or return them to their defaults',
  usage: '<topic> (--set key=value | --delete key)... [flags]',
  flags: [
    {
      name: 'set',
      short: 's',
      kind: 'list',
      valueName: 'key=value',
      description: 'set a config, repeatable',
    },
    {
      name: 'delete',
      short: 'd',
      kind: 'list',
      valueName: 'key',
      description: 'return a config to its default, repeatable',
    },
  ],
  examples: [
    'tributary topic alter-config orders --set retention.ms=86400000',
    'tributary topic alter-config orders --delete retention.ms',
  ],
  run,
};
