/**
 * Reads a whole command line: global flags may come anywhere, then the noun, the verb,
 * and the command's own flags and arguments after the verb. `--help` (or `help <words>`)
 * at any level asks for that level's help instead of running anything.
 */
import type { Command } from '../commands/command.ts';
import { commandHelp, nounHelp, rootHelp } from '../commands/help.ts';
import { commandsOf, findCommand, nouns } from '../commands/registry.ts';
import { UsageError } from '../errors.ts';
import { suggest } from '../suggest.ts';
import { Args } from './args.ts';
import { globalFlags } from './flag-spec.ts';
import { type FlagValue, parseFlags } from './parse-flags.ts';

export type CommandLine =
  | { readonly kind: 'help'; readonly text: string }
  | {
      readonly kind: 'run';
      readonly command: Command;
      readonly args: Args;
      readonly brokers: string | undefined;
      readonly timeout: string | undefined;
    };

function merge(
  target: Map<string, FlagValue>,
  source: ReadonlyMap<string, FlagValue>,
  where: string,
) {
  for (const [name, value] of source) {
    if (target.has(name) && name !== 'help') {
      throw new UsageError(`--${name} given more than once`, where);
    }
    target.set(name, value);
  }
}

function unknownWord(kind: string, word: string, candidates: readonly string[], helpFor: string) {
  const near = suggest(word, candidates);
  const hint = near === undefined ? '' : ` (did you mean '${near}'?)`;
  return new UsageError(`unknown ${kind} '${word}'${hint}`, helpFor);
}

function helpFor(words: readonly string[]): CommandLine {
  const [noun, verb] = words;
  if (noun === undefined) return { kind: 'help', text: rootHelp() };
  if (!nouns.some((n) => n.name === noun)) {
    throw unknownWord(
      'command',
      noun,
      nouns.map((n) => n.name),
      '',
    );
  }
  if (verb === undefined) return { kind: 'help', text: nounHelp(noun) };
  const command = findCommand(noun, verb);
  if (command === undefined) {
    throw unknownWord(
      'verb',
      verb,
      commandsOf(noun).map((c) => c.verb),
      noun,
    );
  }
  return { kind: 'help', text: commandHelp(command) };
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const globals = new Map<string, FlagValue>();
  const first = parseFlags(argv, globalFlags, { where: 'tributary', stopAtPositional: true });
  merge(globals, first.values, '');
  const [noun, ...afterNoun] = first.rest;
  if (noun === 'help') return helpFor(afterNoun);
  if (noun === undefined) {
    if (globals.has('help')) return helpFor([]);
    throw new UsageError('missing command', '');
  }
  if (!nouns.some((n) => n.name === noun)) {
    throw unknownWord(
      'command',
      noun,
      nouns.map((n) => n.name),
      '',
    );
  }
  const second = parseFlags(afterNoun, globalFlags, { where: noun, stopAtPositional: true });
  merge(globals, second.values, noun);
  const [verb, ...afterVerb] = second.rest;
  if (verb === undefined) {
    if (globals.has('help')) return helpFor([noun]);
    throw new UsageError(`missing verb for '${noun}'`, noun);
  }
  const command = findCommand(noun, verb);
  if (command === undefined) {
    throw unknownWord(
      'verb',
      verb,
      commandsOf(noun).map((c) => c.verb),
      noun,
    );
  }
  const where = `${noun} ${verb}`;
  const third = parseFlags(afterVerb, [...command.flags, ...globalFlags], { where });
  merge(globals, third.values, where);
  if (globals.has('help')) return helpFor([noun, verb]);
  return {
    kind: 'run',
    command,
    args: new Args(globals, third.positionals, where),
    brokers: globals.get('brokers') as string | undefined,
    timeout: globals.get('timeout') as string | undefined,
  };
}
