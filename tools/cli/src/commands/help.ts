/** Help text for the tool, a noun, and a command; pure functions of the registry. */
import { type FlagSpec, globalFlags } from '../args/flag-spec.ts';
import type { Command } from './command.ts';
import { commandsOf, nouns } from './registry.ts';

const program = 'tributary';

function flagLabel(flag: FlagSpec): string {
  const short = flag.short === undefined ? '    ' : `-${flag.short}, `;
  const value = flag.kind === 'boolean' ? '' : ` <${flag.valueName ?? 'value'}>`;
  return `${short}--${flag.name}${value}`;
}

function flagLines(flags: readonly FlagSpec[]): string {
  const width = Math.max(...flags.map((f) => flagLabel(f).length));
  return flags
    .map((f) => {
      const more = [
        f.kind === 'list' ? 'repeatable' : undefined,
        f.defaultText === undefined ? undefined : `default ${f.defaultText}`,
      ].filter((x) => x !== undefined);
      const suffix = more.length === 0 ? '' : ` (${more.join('; ')})`;
      return `  ${flagLabel(f).padEnd(width)}  ${f.description}${suffix}\n`;
    })
    .join('');
}

function listLines(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}\n`).join('');
}

export function rootHelp(): string {
  return (
    `${program}: the command-line tool for a Tributary cluster\n\n` +
    `Usage:\n  ${program} <command> <verb> [arguments] [flags]\n\n` +
    `Commands:\n${listLines(nouns.map((n) => [n.name, n.summary]))}\n` +
    `Global flags:\n${flagLines(globalFlags)}\n` +
    'Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 unhealthy (cluster health),\n' +
    '130 interrupted. Environment: TRIBUTARY_BROKERS, NO_COLOR, TRIBUTARY_DEBUG=1.\n' +
    `Run '${program} <command> --help' for its verbs.\n`
  );
}

export function nounHelp(noun: string): string {
  const summary = nouns.find((n) => n.name === noun)?.summary ?? '';
  const verbs = commandsOf(noun).map((c): [string, string] => [c.verb, c.summary]);
  return (
    `${program} ${noun}: ${summary}\n\n` +
    `Usage:\n  ${program} ${noun} <verb> [arguments] [flags]\n\n` +
    `Verbs:\n${listLines(verbs)}\n` +
    `Global flags:\n${flagLines(globalFlags)}\n` +
    `Run '${program} ${noun} <verb> --help' for a verb's flags.\n`
  );
}

export function commandHelp(command: Command): string {
  const details = command.details === undefined ? '' : `${command.details}\n\n`;
  const flags = command.flags.length === 0 ? '' : `Flags:\n${flagLines(command.flags)}\n`;
  const examples =
    command.examples === undefined || command.examples.length === 0
      ? ''
      : `Examples:\n${command.examples.map((e) => `  ${e}\n`).join('')}`;
  return (
    `${program} ${command.noun} ${command.verb}: ${command.summary}\n\n` +
    `Usage:\n  ${program} ${command.noun} ${command.verb} ${command.usage}\n\n` +
    details +
    flags +
    `Global flags:\n${flagLines(globalFlags)}\n` +
    examples
  );
}
