/**
 * One Jepsen-style run: start the cluster, run the workload's clients while the nemesis
 * injects faults on its seeded schedule, stop, heal, wait for recovery, read everything back,
 * check the history, and write history, summary and report into
 * `<resultsRoot>/<timestamp>-<seed>/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckReport, checkHistory } from '../checkers/index.ts';
import { readHistory } from '../history/history-file.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import { operationTimeoutMsDefault, recoveryTimeoutMsDefault } from '../limits.ts';
import type { ClusterControl } from '../nemesis/cluster-control.ts';
import type { FaultKind } from '../nemesis/fault-kinds.ts';
import { canInject, chooseDiskVictims } from '../nemesis/faults.ts';
import { Nemesis } from '../nemesis/nemesis.ts';
import type { NetworkControl } from '../nemesis/network-control.ts';
import { planSchedule, type ScheduledFault } from '../nemesis/schedule.ts';
import { Prng } from '../prng.ts';
import type { RunSummary } from '../results/summary.ts';
import { writeResults } from '../results/write-results.ts';
import { ClientSlot, type SlotContext } from './client-slot.ts';
import { abortableSleep } from './sleep.ts';
import type { GeneratorContext, OperationRequest, Workload } from './workload.ts';

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
  /** A step between healing and the final reads (e.g. losing nodes for good and recovering). */
  readonly afterHeal?: AfterHeal;
  readonly title?: string;
  readonly log?: (line: string) => void;
}

export interface AfterHeal {
  /** Names the step in the history (as a fault window of this kind) and in the report. */
  readonly kind: string;
  /** Runs after the faults healed and the cluster recovered; says what it did to whom. */
  run(log: (line: string) => void): Promise<{ targets: readonly string[]; detail: string }>;
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
  const diskVictims = chooseDiskVictims(
    options.cluster.nodes().map((n) => n.id),
    new Prng(options.seed).fork().fork(),
  );
  writeFileSync(
    join(dir, 'schedule.json'),
    `${JSON.stringify({ seed: options.seed, kinds, diskVictims, schedule }, null, 2)}\n`,
  );
  const historyPath = join(dir, 'history.jsonl');
  const recorder = new HistoryRecorder(historyPath);
  const load = new LoadSampler();
  const startedAt = performance.now();
  const nowMs = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;
  const slots: ClientSlot[] = [];
  let recovery = 'not reached';
  try {
    const note = await options.cluster
      .startAll()
      .then(() => options.cluster.waitHealthy({ timeoutMs: recoveryTimeoutMsOf(options) }));
    log(
      `cluster up${note ? ` (${note})` : ''}; ${schedule.length} faults planned` +
        (kinds.some((k) => k.startsWith('disk-')) ? `; disk faults only on ${diskVictims}` : ''),
    );
    slots.push(...(await startSlots(options, recorder, nowMs)));
    for (const request of options.workload.setup())
      await retryUntilOk(slots[0]!, request, Date.now() + recoveryTimeoutMsOf(options));
    const nemesis = new Nemesis({
      context: {
        cluster: options.cluster,
        network: options.network,
        partitions: options.workload.partitions,
        diskVictims,
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
    recovery = await recoverAndReadBack({ options, nemesis, slots, recorder, nowMs });
  } finally {
    load.stop();
    await Promise.all(slots.map((s) => s.close()));
    await options.cluster.stopAll();
    recorder.close();
  }
  return check({ options, dir, historyPath, schedule, kinds, recovery, load: load.describe() });
}

const loadSampleMs = 5000;

/**
 * Samples the 1-minute load average through the run: on a shared machine, load explains
 * timeouts and slow recoveries, so every result states it.
 */
class LoadSampler {
  private readonly samples = [loadavg()[0]!];
  private readonly timer = setInterval(() => this.samples.push(loadavg()[0]!), loadSampleMs);

  constructor() {
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.samples.push(loadavg()[0]!);
  }

  describe(): string {
    const mean = this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
    const max = Math.max(...this.samples);
    return `start ${this.samples[0]!.toFixed(2)}, mean ${mean.toFixed(2)}, max ${max.toFixed(2)} (${this.samples.length} samples)`;
  }
}

function recoveryTimeoutMsOf(options: RunOptions): number {
  return options.recoveryTimeoutMs ?? recoveryTimeoutMsDefault;
}

/** One client process per workload client, and at least one per final reader. */
async function startSlots(
  options: RunOptions,
  recorder: HistoryRecorder,
  nowMs: () => number,
): Promise<ClientSlot[]> {
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
  return Promise.all(Array.from({ length: slotCount }, () => ClientSlot.start(context)));
}

interface RecoveryContext {
  readonly options: RunOptions;
  readonly nemesis: Nemesis;
  readonly slots: readonly ClientSlot[];
  readonly recorder: HistoryRecorder;
  readonly nowMs: () => number;
}

/**
 * Heals, waits for the cluster, runs the `afterHeal` step if any, and reads everything back.
 * A cluster that does not recover is a finding, not a crash of the harness: the history is
 * still checked (the missing reads show up as unseen writes) and the report says what went
 * wrong.
 */
async function recoverAndReadBack(context: RecoveryContext): Promise<string> {
  const { options } = context;
  const refused = await context.nemesis.healAll();
  const notes = refused.length > 0 ? [`would not start: ${refused.join(', ')}`] : [];
  try {
    const note = await options.cluster.waitHealthy({ timeoutMs: recoveryTimeoutMsOf(options) });
    if (note) notes.push(note);
    if (options.afterHeal) notes.push(await runAfterHeal(context, options.afterHeal));
  } catch (cause) {
    const message = `did not recover: ${cause instanceof Error ? cause.message : String(cause)}`;
    options.log?.(message);
    return [message, ...notes].join('; ');
  }
  const missed = await finalReads(
    options.workload,
    context.slots,
    Date.now() + recoveryTimeoutMsOf(options),
  );
  if (missed > 0) notes.push(`${missed} final reads never succeeded`);
  return [missed > 0 ? 'unavailable after healing' : 'recovered', ...notes].join('; ');
}

/** The step is recorded as a fault window of its own kind, from its start to recovery. */
async function runAfterHeal(context: RecoveryContext, step: AfterHeal): Promise<string> {
  const { options, recorder, nowMs } = context;
  const kind = step.kind;
  recorder.record({
    process: 'nemesis',
    type: 'invoke',
    f: 'fault-start',
    timeMs: nowMs(),
    value: { kind },
  });
  const done = await step.run(options.log ?? (() => {}));
  const value = { kind, targets: [...done.targets], detail: done.detail };
  recorder.record({ process: 'nemesis', type: 'ok', f: 'fault-start', timeMs: nowMs(), value });
  recorder.record({
    process: 'nemesis',
    type: 'invoke',
    f: 'fault-stop',
    timeMs: nowMs(),
    value: { kind },
  });
  const note = await options.cluster.waitHealthy({ timeoutMs: recoveryTimeoutMsOf(options) });
  recorder.record({ process: 'nemesis', type: 'ok', f: 'fault-stop', timeMs: nowMs(), value });
  return `${kind}: ${done.detail}${note ? `; ${note}` : ''}`;
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
  const clientLoop = async (slot: ClientSlot, clientIndex: number): Promise<void> => {
    let previous: GeneratorContext['previous'];
    while (!stop.signal.aborted) {
      const request = phase.options.workload.nextOperation({
        processId: slot.processId,
        clientIndex,
        ...(previous ? { previous } : {}),
        prng: generatorPrng,
        elapsedMs: phase.nowMs(),
      });
      previous = undefined;
      if (request === undefined) {
        await abortableSleep(idleBackoffMs, stop.signal);
        continue;
      }
      const type = await slot.execute(request);
      previous = { f: request.f, type };
      // After a failure, a short pause: a down cluster should not fill the history with fails.
      if (type !== 'ok') await abortableSleep(failureBackoffMs, stop.signal);
    }
  };
  try {
    await Promise.all([
      phase.nemesis.run(phase.schedule, stop.signal, originMs),
      ...phase.slots.map((slot, i) => clientLoop(slot, i)),
    ]);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

/** Each reader runs its reads in order, retrying each until it succeeds or time runs out. */
/** Returns how many reads never succeeded before the deadline. */
async function finalReads(
  workload: Workload,
  slots: readonly ClientSlot[],
  deadline: number,
): Promise<number> {
  const readers = workload.finalReads();
  const missed = await Promise.all(
    readers.map(async (reads, i) => {
      let count = 0;
      for (const request of reads)
        if (!(await retryUntilOk(slots[i % slots.length]!, request, deadline))) count++;
      return count;
    }),
  );
  return missed.reduce((a, b) => a + b, 0);
}

async function retryUntilOk(
  slot: ClientSlot,
  request: OperationRequest,
  deadline: number,
): Promise<boolean> {
  for (;;) {
    if ((await slot.execute(request)) === 'ok') return true;
    if (Date.now() >= deadline) return false;
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
  load: string;
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
      'load average (1 min)': input.load,
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
