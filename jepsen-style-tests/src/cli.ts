/**
 * Command line for a Jepsen-style run:
 *   tsx jepsen-style-tests/src/cli.ts --time 600 --nemesis all --seed 7 [--target toy]
 *     [--bug lose-tail] [--nodes 3] [--results DIR] [--op-timeout-ms 5000]
 * Exits 0 when every checker passes, 1 when one fails, 2 on bad arguments.
 * Until the broker's launcher is wired in, the only target is the toy log server (test
 * scaffolding that exercises the harness itself).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFaultKinds } from './nemesis/fault-kinds.ts';
import { summaryMarkdown } from './results/summary.ts';
import { defaultResultsRoot, runJepsen } from './runner/run-jepsen.ts';

function usage(message: string): never {
  console.error(
    `${message}\nusage: cli.ts --time SECONDS --nemesis KIND[,KIND|all] --seed N [--target toy]`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      time: { type: 'string', default: '60' },
      nemesis: { type: 'string', default: 'all' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      target: { type: 'string', default: 'toy' },
      bug: { type: 'string' },
      nodes: { type: 'string', default: '3' },
      results: { type: 'string', default: defaultResultsRoot },
      'op-timeout-ms': { type: 'string', default: '5000' },
    },
  });
  const seed = Number(values.seed);
  const timeSeconds = Number(values.time);
  if (!Number.isSafeInteger(seed)) usage(`--seed must be an integer: ${values.seed}`);
  if (!(timeSeconds > 0)) usage(`--time must be positive: ${values.time}`);
  let nemesis: ReturnType<typeof parseFaultKinds>;
  try {
    nemesis = values.nemesis === 'none' ? [] : parseFaultKinds(values.nemesis.split(','));
  } catch (error) {
    usage((error as Error).message);
  }
  if (values.target !== 'toy')
    usage(`unknown target ${values.target} (the broker target comes with tools/launch)`);
  if (values.bug !== undefined && values.bug !== 'lose-tail') usage(`unknown bug ${values.bug}`);
  const { startToyTarget } = await import('../test/toy/toy-target.ts');
  const scratch = mkdtempSync(join(tmpdir(), 'jepsen-cli-'));
  const target = await startToyTarget({
    baseDir: scratch,
    nodes: Number(values.nodes),
    ...(values.bug ? { bug: 'lose-tail' as const } : {}),
  });
  try {
    const result = await runJepsen({
      seed,
      timeSeconds,
      nemesis,
      workload: target.workload,
      cluster: target.cluster,
      network: target.network,
      resultsRoot: values.results,
      operationTimeoutMs: Number(values['op-timeout-ms']),
      title: `toy log, seed ${seed}`,
      log: (line) => console.log(line),
    });
    console.log(`\n${summaryMarkdown(result.summary)}\nreport: ${result.reportPath}`);
    process.exitCode = result.valid ? 0 : 1;
  } finally {
    await target.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
