/**
 * The CLI run in-process with captured streams: help, usage errors and their exit codes,
 * an unreachable cluster, colour rules. (Against a real cluster: e2e/cli.test.ts.)
 */
import test from 'ava';
import { ExitCode, run } from '../src/index.ts';
import { fakeIo } from './helpers/fake-io.ts';

/** A port nothing listens on: bind it, then close it. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('--help prints to stdout and exits 0', async (t) => {
  const io = fakeIo();
  t.is(await run(['topic', 'consume', '--help'], io), ExitCode.ok);
  t.regex(io.stdout.text, /^tributary topic consume: /);
  t.regex(io.stdout.text, /%t topic/);
  t.is(io.stderr.text, '');
});

test('usage errors: one line on stderr, exit 2, nothing on stdout', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /^tributary: missing command \(see 'tributary --help'\)\n$/],
    [
      ['topic', 'list', '--bogus'],
      /^tributary: unknown flag --bogus for 'topic list' \(see 'tributary topic list --help'\)\n$/,
    ],
    [['topic', 'consume', 'orders', '--from', 'yesterday'], /--from 'yesterday' is not one of/],
    [['topic', 'consume', 'orders', '-f', '%q'], /bad template '%q': unknown placeholder %q/],
    [['topic', 'consume', 'orders', '-n', '0'], /--count must be between 1/],
    [
      ['topic', 'consume', 'orders', '--group', 'g', '--from', '-5'],
      /with --group, --from is beginning or end/,
    ],
    [
      ['topic', 'consume', 'orders', '--group', 'g', '-p', '1'],
      /--partitions cannot be used with --group/,
    ],
    [['topic', 'produce', 'orders', '-H', 'novalue'], /--header 'novalue' must be key=value/],
    [['topic', 'produce', 'orders', '--acks', '2'], /--acks must be one of 0\|leader\|quorum\|all/],
    [['topic', 'create'], /missing <topic>/],
    [['topic', 'create', 'x', '-r', 'three'], /--replicas must be a whole number/],
    [['topic', 'describe', 'a', 'b'], /unexpected argument 'b'/],
    [['topic', 'alter-config', 'x'], /nothing to change/],
    [['topic', 'alter-config', 'x', '--set', 'a=1', '--delete', 'a'], /a is both set and deleted/],
    [['group', 'seek', 'g', '--topic', 't'], /--to is required/],
    [['group', 'seek', 'g', '--topic', 't', '--to', 'soon'], /--to 'soon' is not one of/],
    [['cluster', 'status', '--format', 'xml'], /--format must be json or text/],
    [['cluster', 'health', '--timeout', '-1'], /--timeout must be a duration/],
    [['topic', 'list', '--brokers', 'nohost'], /--brokers: 'nohost' is not host:port/],
  ];
  for (const [argv, expected] of cases) {
    const io = fakeIo();
    t.is(await run(argv, io), ExitCode.usage, argv.join(' '));
    t.regex(io.stderr.text, expected, argv.join(' '));
    t.is(io.stderr.text.split('\n').length, 2, `one line: ${argv.join(' ')}`);
    t.is(io.stdout.text, '', argv.join(' '));
  }
});

test('an unreachable cluster fails with exit 1 naming the brokers, without a stack', async (t) => {
  const broker = `127.0.0.1:${await closedPort()}`;
  const io = fakeIo();
  const code = await run(['topic', 'list', '--brokers', broker, '--timeout', '400ms'], io);
  t.is(code, ExitCode.failed);
  t.regex(
    io.stderr.text,
    new RegExp(`^tributary: cannot reach the cluster at ${broker} within 400ms`),
  );
  t.regex(io.stderr.text, /ECONNREFUSED/);
  t.notRegex(io.stderr.text, /\n {4}at /, 'no stack trace');
  t.is(io.stderr.text.split('\n').length, 2);
});

test('the broker list comes from TRIBUTARY_BROKERS when no flag is given', async (t) => {
  const broker = `127.0.0.1:${await closedPort()}`;
  const io = fakeIo({ env: { TRIBUTARY_BROKERS: broker } });
  t.is(await run(['group', 'list', '--timeout', '300ms'], io), ExitCode.failed);
  t.true(io.stderr.text.includes(`cannot reach the cluster at ${broker}`));
});

test('cluster health against nothing is unhealthy (exit 3), not a crash', async (t) => {
  const broker = `127.0.0.1:${await closedPort()}`;
  const io = fakeIo();
  t.is(
    await run(['cluster', 'health', '--brokers', broker, '--timeout', '300ms'], io),
    ExitCode.unhealthy,
  );
  t.regex(io.stdout.text, /^FAIL {2}controller/m);
  t.regex(io.stdout.text, new RegExp(`^FAIL  broker ${broker} +unreachable: `, 'm'));
  t.regex(io.stdout.text, /unhealthy: 2 failed checks\n$/);
});

test('errors are red on a terminal, plain with NO_COLOR or when piped', async (t) => {
  const tty = fakeIo({ tty: true });
  await run(['topic', 'lst'], tty);
  t.true(tty.stderr.text.startsWith('\u001b[31mtributary:'));
  const noColour = fakeIo({ tty: true, env: { NO_COLOR: '1' } });
  await run(['topic', 'lst'], noColour);
  t.true(noColour.stderr.text.startsWith('tributary:'));
  const piped = fakeIo();
  await run(['topic', 'lst'], piped);
  t.true(piped.stderr.text.startsWith('tributary:'));
});
