import test from 'ava';
import fc from 'fast-check';
import type { FlagSpec } from '../src/args/flag-spec.ts';
import { parseFlags } from '../src/args/parse-flags.ts';
import { UsageError } from '../src/errors.ts';

const specs: FlagSpec[] = [
  { name: 'count', short: 'n', kind: 'string', description: '' },
  { name: 'from', kind: 'string', description: '' },
  { name: 'header', short: 'H', kind: 'list', description: '' },
  { name: 'until-end', short: 'e', kind: 'boolean', description: '' },
];

const parse = (tokens: string[]) => parseFlags(tokens, specs, { where: 'topic consume' });

test('long, short, attached and = forms all set a flag', (t) => {
  for (const tokens of [['--count', '5'], ['--count=5'], ['-n', '5'], ['-n5']]) {
    t.is(parse(tokens).values.get('count'), '5', tokens.join(' '));
  }
});

test('a value may start with a dash: --from -10 is ten from the end', (t) => {
  t.is(parse(['--from', '-10']).values.get('from'), '-10');
  t.is(parse(['--from=-10']).values.get('from'), '-10');
});

test('list flags keep every value in order; booleans are true', (t) => {
  const parsed = parse(['-H', 'a=1', '--header', 'b=2', '-Hc=3', '-e']);
  t.deepEqual(parsed.values.get('header'), ['a=1', 'b=2', 'c=3']);
  t.is(parsed.values.get('until-end'), true);
});

test('positionals are kept in order around flags, and -- ends flags', (t) => {
  const parsed = parse(['orders', '-n', '1', 'more', '--', '--count', '-']);
  t.deepEqual(parsed.positionals, ['orders', 'more', '--count', '-']);
  t.is(parsed.values.get('count'), '1');
});

test('stopAtPositional hands back the first positional and what follows', (t) => {
  const parsed = parseFlags(['-e', 'topic', 'list', '-n', '1'], specs, {
    where: 'x',
    stopAtPositional: true,
  });
  t.deepEqual(parsed.rest, ['topic', 'list', '-n', '1']);
  t.is(parsed.values.get('until-end'), true);
});

test('bad flags are usage errors that name the flag and the command', (t) => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /unknown flag --bogus for 'topic consume'/],
    [['-x'], /unknown flag -x/],
    [['--count'], /--count needs a value/],
    [['--until-end=yes'], /takes no value/],
    [['-n', '1', '--count', '2'], /--count given more than once/],
  ];
  for (const [tokens, message] of cases) {
    const error = t.throws(() => parse(tokens), { instanceOf: UsageError }, tokens.join(' '));
    t.regex(error.message, message);
    t.is(error.helpFor, 'topic consume');
  }
});

test('any sequence of tokens either parses or fails with a UsageError', (t) => {
  const token = fc.oneof(
    fc.constantFrom('--count', '-n', '--from', '-H', '-e', '--until-end', '--', '-', '--x'),
    fc.string({ maxLength: 6 }),
  );
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), (tokens) => {
      try {
        const parsed = parse(tokens);
        for (const [name] of parsed.values) t.true(specs.some((s) => s.name === name));
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
      }
    }),
  );
  t.pass();
});
