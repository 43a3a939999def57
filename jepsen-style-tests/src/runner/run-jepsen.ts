/**
 * One Jepsen-style run: start the cluster, run the workload's clients while the nemesis
 * injects faults on its seeded schedule, stop, heal, wait for recovery, read everything back,
 * check the history, and write history, summary and report into
 * `<resultsRoot>/<timestamp>-<seed>/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckReport, checkHistory } from '../checkers/index.ts';
import { readHistory } from '../history/history-file.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import { operationTimeoutMsDefault, recoveryTimeoutMsDefault } from '../limits.ts';
import type { ClusterControl } from '../nemesis/cluster-control.ts';
import type { FaultKind } from '../nemesis/fault-kinds.ts';
import { canInject } from '../nemesis/faults.ts';
import { Nemesis } from '../nemesis/nemesis.ts';
import type { NetworkControl } from '../nemesis/network-control.ts';
import { planSchedule, type ScheduledFault } from '../nemesis/schedule.ts';
import { Prng } from '../prng.ts';
import type { RunSummary } from '../results/summary.ts';
import { writeResults } from '../results/write-results.ts';
import { ClientSlot, type SlotContext } from './client-slot.ts';
import { abortableSleep } from './sleep.ts';
import type { OperationRequest, Workload } from './workload.ts';

const idleBackoffMs = 10;
const failureBackoffMs = 50;

export const defaultResultsRoot = fileURLToPath(new URL('../../results', import.meta.url));

export interface RunOptions {
  readonly seed: number;
  readonly timeSeconds: number;
  readonly nemesis: readonly FaultKind[];
  readonly workload: Workload;
  readonly cluster: ClusterControl;
  readonly network?: NetworkControl;
  readonly resultsRoot?: string;
  readonly operationTimeoutMs?: number;
  readonly recoveryTimeoutMs?: number;
  readonly faultMsMin?: number;
  readonly faultMsMax?: number;
  readonly quietMsMin?: number;
  readonly quietMsMax?: number;
  /** Stop the faults this long before the end, so the last operations see a healed cluster. */
  readonly settleMs?: number;
  readonly title?: string;
  readonly log?: (line: string) => void;
}

export interface RunResult {
  readonly dir: string;
  readonly valid: boolean;
  readonly summary: RunSummary;
  readonly checks: CheckReport;
  readonly schedule: readonly ScheduledFault[];
  readonly reportPath: string;
  /** `recovered`, or what went wrong after the faults healed. */
  readonly recovery: string;
}

export async function runJepsen(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => {});
  const dir = join(options.resultsRoot ?? defaultResultsRoot, `${timestamp()}-${options.seed}`);
  mkdirSync(dir, { recursive: true });
  const kinds = options.nemesis.filter((kind) => canInject(kind, options));
  const durationMs = options.timeSeconds * 1000;
  const schedule = planSchedule({
    seed: options.seed,
    durationMs: durationMs - (options.settleMs ?? 1000),
    kinds,
    faultMsMin: options.faultMsMin,
    faultMsMax: options.faultMsMax,
    quietMsMin: options.quietMsMin,
    quietMsMax: options.quietMsMax,
  });
  writeFileSync(
    join(dir, 'schedule.json'),
    `${JSON.stringify({ seed: options.seed, kinds, schedule }, null, 2)}\n`,
  );
  const historyPath = join(dir, 'history.jsonl');
  const recorder = new HistoryRecorder(historyPath);
  const startedAt = performance.now();
  const nowMs = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;
  const slots: ClientSlot[] = [];
  let recovery = 'not reached';
  try {
    await options.cluster.startAll();
    await options.cluster.waitHealthy({
      timeoutMs: options.recoveryTimeoutMs ?? recoveryTimeoutMsDefault,
    });
    log(`cluster up; ${schedule.length} faults planned from seed ${options.seed}`);
    let processIds = 0;
    const context: SlotContext = {
      module: options.workload.clientModule,
      config: options.cluster.clientConfig(),
      recorder,
      nowMs,
      operationTimeoutMs: options.operationTimeoutMs ?? operationTimeoutMsDefault,
      nextProcessId: () => processIds++,
    };
    const readers = options.workload.finalReads().length;
    const slotCount = Math.max(options.workload.clientCount, readers, 1);
    slots.push(
      ...(await Promise.all(Array.from({ length: slotCount }, () => ClientSlot.start(context)))),
    );
    for (const request of options.workload.setup())
      await retryUntilOk(slots[0]!, request, Date.now() + 30_000);
    const nemesis = new Nemesis({
      context: {
        cluster: options.cluster,
        network: options.network,
        partitions: options.workload.partitions,
      },
      record: (op) => recorder.record(op),
      nowMs,
      log,
    });
    await mainPhase({
      options,
      slots: slots.slice(0, options.workload.clientCount),
      nemesis,
      schedule,
      durationMs,
      nowMs,
    });
    log('main phase over; healing');
    recovery = await recoverAndReadBack(options, nemesis, slots);
  } finally {
    await Promise.all(slots.map((s) => s.close()));
    await options.cluster.stopAll();
    recorder.close();
  }
  return check({ options, dir, historyPath, schedule, kinds, recovery });
}

/**
 * Heals, waits for the cluster, and reads everything back. A cluster that does not recover
 * is a finding, not a crash of the harness: the history is still checked (the missing reads
 * show up as unseen writes) and the report says what went wrong.
 */
async function recoverAndReadBack(
  options: RunOptions,
  nemesis: Nemesis,
  slots: readonly ClientSlot[],
): Promise<string> {
  const refused = await nemesis.healAll();
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? recoveryTimeoutMsDefault;
  try {
    await options.cluster.waitHealthy({ timeoutMs: recoveryTimeoutMs });
  } catch (cause) {
    const message = `did not recover: ${cause instanceof Error ? cause.message : String(cause)}`;
    options.log?.(message);
    return refused.length > 0 ? `${message}; would not start: ${refused.join(', ')}` : message;
  }
  await finalReads(options.workload, slots, Date.now() + recoveryTimeoutMs);
  return refused.length > 0 ? `recovered; would not start: ${refused.join(', ')}` : 'recovered';
}

async function mainPhase(phase: {
  options: RunOptions;
  slots: readonly ClientSlot[];
  nemesis: Nemesis;
  schedule: readonly ScheduledFault[];
  durationMs: number;
  nowMs: () => number;
}): Promise<void> {
  const stop = new AbortController();
  const originMs = phase.nowMs();
  const timer = setTimeout(() => stop.abort(), phase.durationMs);
  const generatorPrng = new Prng(phase.options.seed).fork();
  const clientLoop = async (slot: ClientSlot): Promise<void> => {
    while (!stop.signal.aborted) {
      const request = phase.options.workload.nextOperation({
        processId: slot.processId,
        prng: generatorPrng,
        elapsedMs: phase.nowMs(),
      });
      if (request === undefined) {
        await abortableSleep(idleBackoffMs, stop.signal);
        continue;
      }
      // After a failure, a short pause: a down cluster should not fill the history with fails.
      if ((await slot.execute(request)) !== 'ok')
        await abortableSleep(failureBackoffMs, stop.signal);
    }
  };
  try {
    await Promise.all([
      phase.nemesis.run(phase.schedule, stop.signal, originMs),
      ...phase.slots.map(clientLoop),
    ]);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

/** Each reader runs its reads in order, retrying each until it succeeds or time runs out. */
async function finalReads(
  workload: Workload,
  slots: readonly ClientSlot[],
  deadline: number,
): Promise<void> {
  const readers = workload.finalReads();
  await Promise.all(
    readers.map(async (reads, i) => {
      for (const request of reads) await retryUntilOk(slots[i % slots.length]!, request, deadline);
    }),
  );
}

async function retryUntilOk(
  slot: ClientSlot,
  request: OperationRequest,
  deadline: number,
): Promise<void> {
  while ((await slot.execute(request)) !== 'ok' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function check(input: {
  options: RunOptions;
  dir: string;
  historyPath: string;
  schedule: readonly ScheduledFault[];
  kinds: readonly FaultKind[];
  recovery: string;
}): Promise<RunResult> {
  const { options, dir } = input;
  const history = await readHistory(input.historyPath);
  const checks = checkHistory(history, options.workload.checkers);
  const files = writeResults({
    dir,
    title: options.title ?? `${options.workload.name} seed ${options.seed}`,
    parameters: {
      seed: options.seed,
      'time (s)': options.timeSeconds,
      workload: options.workload.name,
      nodes: options.cluster.nodes().length,
      nemesis: input.kinds.join(', ') || 'none',
      'faults planned': input.schedule.length,
      recovery: input.recovery,
      replay: `--seed ${options.seed} --time ${options.timeSeconds} --nemesis ${input.kinds.join(',') || 'none'}`,
    },
    history,
    checks,
  });
  options.log?.(`results in ${dir}: ${files.summary.valid ? 'PASS' : 'FAIL'}`);
  return {
    dir,
    valid: files.summary.valid && input.recovery.startsWith('recovered'),
    summary: files.summary,
    checks,
    schedule: input.schedule,
    reportPath: files.reportPath,
    recovery: input.recovery,
  };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
