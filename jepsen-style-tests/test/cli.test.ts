/**
 * Bad arguments to the harness's command line: a usage message and exit code 2, never a
 * stack trace (an unknown option used to crash in node's parseArgs with a TypeError).
 */
import { spawnSync } from 'node:child_process';
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
