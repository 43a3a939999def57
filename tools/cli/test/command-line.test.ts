import test from 'ava';
import { parseCommandLine } from '../src/args/command-line.ts';
import { globalFlags } from '../src/args/flag-spec.ts';
import { commandHelp, nounHelp, rootHelp } from '../src/commands/help.ts';
import { commands, nouns } from '../src/commands/registry.ts';
import { UsageError } from '../src/errors.ts';
import { editDistance, suggest } from '../src/suggest.ts';

function runLine(argv: string[]) {
  const line = parseCommandLine(argv);
  if (line.kind !== 'run') throw new Error('expected a command to run');
  return line;
}

test('noun, verb, flags and positionals; global flags anywhere', (t) => {
  const line = runLine(['--brokers', 'a:1', 'topic', '--timeout', '2s', 'create', 'x', '-p', '3']);
  t.is(line.command.noun, 'topic');
  t.is(line.command.verb, 'create');
  t.is(line.brokers, 'a:1');
  t.is(line.timeout, '2s');
  t.deepEqual(line.args.positionals, ['x']);
  t.is(line.args.string('partitions'), '3');
  t.is(runLine(['topic', 'list', '--brokers', 'b:2']).brokers, 'b:2');
});

test('--help at each level, and help <words>, give that level help', (t) => {
  const help = (argv: string[]) => {
    const line = parseCommandLine(argv);
    return line.kind === 'help' ? line.text : '';
  };
  t.is(help(['--help']), rootHelp());
  t.is(help(['-h']), rootHelp());
  t.is(help(['help']), rootHelp());
  t.is(help(['topic', '--help']), nounHelp('topic'));
  t.is(help(['help', 'group']), nounHelp('group'));
  const consume = commands.find((c) => c.verb === 'consume')!;
  t.is(help(['topic', 'consume', '--help']), commandHelp(consume));
  t.is(help(['topic', 'consume', 'orders', '-n', '3', '-h']), commandHelp(consume));
  t.is(help(['help', 'topic', 'consume']), commandHelp(consume));
});

test('unknown and missing words are usage errors with suggestions', (t) => {
  const cases: [string[], RegExp, string | undefined][] = [
    [[], /missing command/, ''],
    [['topc', 'list'], /unknown command 'topc' \(did you mean 'topic'\?\)/, ''],
    [['zzzzzz'], /unknown command 'zzzzzz'$/, ''],
    [['topic'], /missing verb for 'topic'/, 'topic'],
    [['topic', 'lst'], /unknown verb 'lst' \(did you mean 'list'\?\)/, 'topic'],
    [['group', 'sek'], /did you mean 'seek'/, 'group'],
    [
      ['topic', 'list', '--partitions', '3'],
      /unknown flag --partitions for 'topic list'/,
      'topic list',
    ],
    [
      ['--brokers', 'a:1', 'topic', 'list', '--brokers', 'b:1'],
      /--brokers given more than once/,
      'topic list',
    ],
    [['help', 'nope'], /unknown command 'nope'/, ''],
  ];
  for (const [argv, message, helpFor] of cases) {
    const error = t.throws(
      () => parseCommandLine(argv),
      { instanceOf: UsageError },
      argv.join(' '),
    );
    t.regex(error.message, message, argv.join(' '));
    t.is(error.helpFor, helpFor, argv.join(' '));
  }
});

test('every command has help that lists its flags, the globals and its usage', (t) => {
  t.is(commands.length, 13);
  for (const command of commands) {
    const text = commandHelp(command);
    t.true(text.includes(`tributary ${command.noun} ${command.verb} ${command.usage}`));
    for (const flag of [...command.flags, ...globalFlags]) {
      t.true(text.includes(`--${flag.name}`), `${command.verb} --${flag.name}`);
    }
    t.true(nounHelp(command.noun).includes(command.summary), command.verb);
  }
  for (const noun of nouns) t.true(rootHelp().includes(noun.summary));
});

test('flag names are unique per command, including the globals', (t) => {
  for (const command of commands) {
    const all = [...command.flags, ...globalFlags];
    t.is(new Set(all.map((f) => f.name)).size, all.length, command.verb);
    const shorts = all.flatMap((f) => (f.short === undefined ? [] : [f.short]));
    t.is(new Set(shorts).size, shorts.length, command.verb);
  }
});

test('suggestions within two edits', (t) => {
  t.is(editDistance('kitten', 'sitting'), 3);
  t.is(editDistance('', 'abc'), 3);
  t.is(suggest('lsit', ['list', 'describe']), 'list');
  t.is(suggest('xyzzy', ['list', 'describe']), undefined);
});
