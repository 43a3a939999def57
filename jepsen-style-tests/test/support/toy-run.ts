/** Runs the harness end to end against the toy log server behind real proxies. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultKind } from '../../src/nemesis/fault-kinds.ts';
import { type RunResult, runJepsen } from '../../src/runner/run-jepsen.ts';
import { startToyTarget } from '../toy/toy-target.ts';

export interface ToyRunOptions {
  readonly seed: number;
  readonly timeSeconds: number;
  readonly nemesis: readonly FaultKind[];
  readonly bug?: 'lose-tail';
  readonly keepFiles?: boolean;
  readonly log?: (line: string) => void;
}

export async function toyRun(
  t: { teardown(fn: () => Promise<void> | void): void },
  options: ToyRunOptions,
): Promise<RunResult> {
  const base = mkdtempSync(join(tmpdir(), 'jepsen-toy-'));
  const target = await startToyTarget({
    baseDir: base,
    ...(options.bug ? { bug: options.bug } : {}),
  });
  t.teardown(async () => {
    await target.close();
    if (!options.keepFiles) rmSync(base, { recursive: true, force: true });
  });
  return runJepsen({
    seed: options.seed,
    timeSeconds: options.timeSeconds,
    nemesis: options.nemesis,
    workload: target.workload,
    cluster: target.cluster,
    network: target.network,
    resultsRoot: join(base, 'results'),
    operationTimeoutMs: 1000,
    recoveryTimeoutMs: 20_000,
    faultMsMin: 800,
    faultMsMax: 1500,
    quietMsMin: 400,
    quietMsMax: 800,
    ...(options.log ? { log: options.log } : {}),
  });
}
