/**
 * `npm run sim -- [options]`: runs simulated Raft groups under faults.
 *
 *   --seed <n>       fast-check seed (default: random, printed)
 *   --runs <n>       schedules to run (default 100)
 *   --steps <n>      ticks of the fault phase of each schedule (default 250)
 *   --path <p>       with --seed, replay exactly the case fast-check reported
 *   --schedule <f>   run one schedule from a JSON file
 *   --trace          print one line per event of the failing (or last) schedule
 *   --no-amnesia-protection   restart amnesiac nodes without votingDisabledUntilIndex
 *   --liveness-ticks <n>      bound of the liveness phase (default 600)
 */
import { readFileSync } from 'node:fs';
import { failureReport, runBatch } from './run.ts';
import type { SimSchedule } from './schedule.ts';
import { runSimulation, type SimulationOptions } from './simulation.ts';
import { traceHeader } from './trace.ts';

interface CliOptions {
  seed: number;
  runs: number;
  steps: number;
  path: string | undefined;
  schedule: string | undefined;
  trace: boolean;
  amnesiaProtection: boolean;
  livenessTicksMax: number | undefined;
}

function parse(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    seed: Math.floor(Math.random() * 2 ** 31),
    runs: 100,
    steps: 250,
    path: undefined,
    schedule: undefined,
    trace: false,
    amnesiaProtection: true,
    livenessTicksMax: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const integer = (): number => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0)
        throw new Error(`${flag} needs a non-negative integer`);
      return n;
    };
    switch (flag) {
      case '--seed':
        options.seed = integer();
        break;
      case '--runs':
        options.runs = Math.max(1, integer());
        break;
      case '--steps':
        options.steps = Math.max(1, integer());
        break;
      case '--path':
        options.path = value();
        break;
      case '--schedule':
        options.schedule = value();
        break;
      case '--trace':
        options.trace = true;
        break;
      case '--no-amnesia-protection':
        options.amnesiaProtection = false;
        break;
      case '--liveness-ticks':
        options.livenessTicksMax = integer();
        break;
      default:
        throw new Error(
          `unknown option ${flag} (see the comment at the top of packages/raft/src/sim/cli.ts)`,
        );
    }
  }
  return options;
}

function simulationOptions(options: CliOptions, trace: boolean): SimulationOptions {
  return {
    amnesiaProtection: options.amnesiaProtection,
    livenessTicksMax: options.livenessTicksMax,
    trace: trace ? (line) => console.log(line) : undefined,
  };
}

function traceOne(schedule: SimSchedule, options: CliOptions): void {
  console.log(`schedule: ${JSON.stringify(schedule)}`);
  console.log(traceHeader);
  try {
    const stats = runSimulation(schedule, simulationOptions(options, true));
    console.log(`ok: ${JSON.stringify(stats)}`);
  } catch (error) {
    console.log(
      `FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    process.exitCode = 1;
  }
}

function main(): void {
  const options = parse(process.argv.slice(2));
  if (options.schedule !== undefined) {
    const schedule = JSON.parse(readFileSync(options.schedule, 'utf8')) as SimSchedule;
    traceOne(schedule, { ...options, trace: true });
    return;
  }
  const started = Date.now();
  const every = Math.max(1, Math.floor(options.runs / 20));
  console.log(`sim: seed ${options.seed}, ${options.runs} schedule(s) of ${options.steps} steps`);
  const result = runBatch({
    seed: options.seed,
    runs: options.runs,
    steps: options.steps,
    path: options.path,
    simulation: simulationOptions(options, false),
    onRun: (completed) => {
      if (completed % every === 0) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        console.log(`  ${completed}/${options.runs} schedules passed (${seconds} s)`);
      }
    },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.failed) {
    console.log(failureReport(result, options.steps));
    if (options.trace && result.counterexample !== undefined)
      traceOne(result.counterexample, options);
    process.exitCode = 1;
    return;
  }
  console.log(
    `sim: ${result.runs} schedule(s) passed in ${seconds} s; totals ${JSON.stringify(result.totals)}`,
  );
  if (options.trace && result.lastSchedule !== undefined) traceOne(result.lastSchedule, options);
}

main();
