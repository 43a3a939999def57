/** Runs the harness end to end against the real cluster (node processes, proxies, clients). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerTargetOptions, startBrokerTarget } from '../../src/broker/broker-target.ts';
import { majorityLossStep } from '../../src/broker/majority-loss.ts';
import type { FaultKind } from '../../src/nemesis/fault-kinds.ts';
import { type RunResult, runJepsen } from '../../src/runner/run-jepsen.ts';

export interface BrokerRunOptions {
  readonly seed: number;
  readonly timeSeconds: number;
  readonly nemesis: readonly FaultKind[];
  readonly target?: Omit<BrokerTargetOptions, 'baseDir'>;
  readonly majorityLoss?: boolean;
  readonly log?: (line: string) => void;
}

export async function brokerRun(
  t: {
    teardown(fn: () => Promise<void> | void): void;
    readonly passed: boolean;
    log(...values: unknown[]): void;
  },
  options: BrokerRunOptions,
): Promise<RunResult> {
  const base = mkdtempSync(join(tmpdir(), 'jepsen-broker-'));
  const target = await startBrokerTarget({ baseDir: base, ...options.target });
  t.teardown(async () => {
    await target.close();
    if (t.passed) rmSync(base, { recursive: true, force: true });
    else t.log(`node data, logs and results kept in ${base}`);
  });
  return runJepsen({
    seed: options.seed,
    timeSeconds: options.timeSeconds,
    nemesis: options.nemesis,
    workload: target.workload,
    cluster: target.cluster,
    network: target.cluster.network,
    resultsRoot: join(base, 'results'),
    // Generous: this machine is shared and often heavily loaded.
    operationTimeoutMs: 10_000,
    recoveryTimeoutMs: 240_000,
    faultMsMin: 3000,
    faultMsMax: 6000,
    quietMsMin: 2000,
    quietMsMax: 4000,
    settleMs: 3000,
    ...(options.majorityLoss
      ? { afterHeal: majorityLossStep(target.cluster, target.workload.partitions, options.seed) }
      : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}
