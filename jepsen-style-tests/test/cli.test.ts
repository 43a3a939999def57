/**
 * Bad arguments to the harness's command line: a usage message and exit code 2, never a
 * stack trace (an unknown option used to crash in node's parseArgs with a TypeError).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import=tsx', cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

for (const [args, message] of [
  [['--bogus'], /Unknown option '--bogus'/],
  [['--time'], /argument missing/],
  [['--time', 'soon'], /--time must be an integer/],
  [['--nemesis', 'earthquake'], /earthquake/],
  [['--workload', 'poetry'], /unknown workload poetry/],
  [['--target', 'mainframe'], /unknown target mainframe/],
  [['--setting', 'raftLogRetainEntries'], /--setting must be KEY=VALUE/],
  [['--setting', '=5'], /--setting must be KEY=VALUE/],
  [['--setting', 'peerPort=9'], /--setting peerPort: set by the harness/],
] as const) {
  test(`cli ${args.join(' ')}: usage and exit code 2`, (t) => {
    const { code, stderr } = run(...args);
    t.is(code, 2);
    t.regex(stderr, message);
    t.regex(stderr, /^usage: /m);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
  });
}

test('cli --help prints the usage and exits 0', (t) => {
  const { code, stdout } = run('--help');
  t.is(code, 0);
  t.regex(stdout, /^usage: /);
});

test('cli --setting with a name no node knows: the node says so, exit code 1, no stack trace', (t) => {
  const { code, stdout, stderr } = run(
    '--time',
    '1',
    '--nemesis',
    'none',
    '--workload',
    'log',
    '--nodes',
    '1',
    '--setting',
    'bogusThing=3',
  );
  const kept = /node data and logs kept in (\S+)/.exec(stdout)?.[1];
  if (kept) rmSync(kept, { recursive: true, force: true });
  t.is(code, 1);
  t.regex(stderr, /run failed: node 1 exited/);
  t.regex(stderr, /--bogus-thing .*is not a known flag/);
  t.notRegex(stderr, /\n\s+at /, 'no stack trace');
});
