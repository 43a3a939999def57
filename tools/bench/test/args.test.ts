/**
 * Bad command lines to the benchmarks end with exit code 2 and a one-line reason, before
 * any cluster or disk work starts; `--help` lists the flags.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const source = (name: string) => fileURLToPath(new URL(`../src/${name}`, import.meta.url));

function runBench(name: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import=tsx', source(name), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const badCommandLines: [string, string[], RegExp][] = [
  ['raft-cluster.ts', ['--bogus'], /^error: Unknown option '--bogus'/],
  ['raft-cluster.ts', ['--groups', '1,x'], /^error: --groups must be a number, got "x"/],
  ['raft-core.ts', ['--runs'], /^error: Option '--runs <value>' argument missing/],
  ['client-producer.ts', ['--records', 'many'], /^error: --records must be a number/],
  ['storage.ts', ['--repeat', ''], /^error: --repeat must be a number, got ""/],
  ['raft-disk.ts', ['extra'], /^error: .*positional/i],
];

for (const [bench, args, reason] of badCommandLines) {
  test(`${bench} ${args.join(' ')} exits 2 with a clear reason`, (t) => {
    const result = runBench(bench, args);
    t.is(result.status, 2, result.stderr);
    t.regex(result.stderr, reason);
    t.notRegex(result.stderr, /\n\s+at /, 'no stack trace');
    t.is(result.stdout, '', 'nothing measured');
  });
}

test('--help lists the flags and exits 0', (t) => {
  const result = runBench('raft-cluster.ts', ['--help']);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stdout, /--groups <1,100>/);
  t.regex(result.stdout, /--help/);
});
