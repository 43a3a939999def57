/**
 * Command line for a Jepsen-style run:
 *   tsx jepsen-style-tests/src/cli.ts --time 600 --nemesis all --seed 7
 *     [--workload log,groups,metadata] [--scenario majority-loss] [--nodes 3]
 *     [--partitions 3] [--clients 3] [--results DIR] [--op-timeout-ms 10000] [--keep-data]
 *     [--target toy [--bug lose-tail]] [--setting KEY=VALUE ...]
 * The default target is the real cluster (node processes started through `@tributary/launch`,
 * workloads through `@tributary/client`); `--target toy` runs the toy log server that tests
 * the harness itself. Exits 0 when every checker passes and the cluster recovered, 1 when
 * not or when a node does not start, 2 on bad arguments. `--setting` (repeatable) lays a node setting over the fault-run
 * defaults, by its broker option name: `--setting raftLogRetainEntries=20` compacts the
 * partitions' Raft logs early, so that lagging and restarted replicas install snapshots and
 * copy records from their leader under the faults.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrokerTarget, type WorkloadName, workloadNames } from './broker/broker-target.ts';
import { majorityLossStep } from './broker/majority-loss.ts';
import { type FaultKind, parseFaultKinds } from './nemesis/fault-kinds.ts';
import { summaryMarkdown } from './results/summary.ts';
import {
  defaultResultsRoot,
  type RunOptions,
  type RunResult,
  runJepsen,
} from './runner/run-jepsen.ts';

const usageText = `usage: cli.ts --time SECONDS --nemesis KIND[,KIND]|GROUP|all|none --seed N
  [--workload log,groups,metadata|all] [--scenario majority-loss] [--nodes N] [--partitions N]
  [--clients N] [--results DIR] [--op-timeout-ms MS] [--keep-data] [--target broker|toy]
  [--bug lose-tail] [--setting KEY=VALUE ...]`;

function usage(message: string): never {
  console.error(`${message}\n${usageText}`);
  process.exit(2);
}

function parse() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usageText);
    process.exit(0);
  }
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    ({ values } = parseOptions());
  } catch (error) {
    // Unknown options and missing values: a usage line, never a stack trace.
    usage((error as Error).message);
  }
  const integer = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min)
      usage(`--${name} must be an integer >= ${min}: ${text}`);
    return n;
  };
  let nemesis: FaultKind[] = [];
  try {
    nemesis = values.nemesis === 'none' ? [] : parseFaultKinds(values.nemesis.split(','));
  } catch (error) {
    usage((error as Error).message);
  }
  const workloads = values.workload === 'all' ? [...workloadNames] : values.workload.split(',');
  for (const w of workloads)
    if (!(workloadNames as readonly string[]).includes(w)) usage(`unknown workload ${w}`);
  if (values.target !== 'broker' && values.target !== 'toy')
    usage(`unknown target ${values.target}`);
  if (values.bug !== undefined && (values.bug !== 'lose-tail' || values.target !== 'toy'))
    usage(`--bug lose-tail needs --target toy`);
  if (values.scenario !== undefined && values.scenario !== 'majority-loss')
    usage(`unknown scenario ${values.scenario}`);
  const settings: Record<string, string> = {};
  for (const text of values.setting ?? []) {
    const match = /^([a-z][A-Za-z0-9]*)=(.+)$/.exec(text);
    if (!match) usage(`--setting must be KEY=VALUE with a broker option name: ${text}`);
    const [, key, value] = match as unknown as [string, string, string];
    // The harness owns these: overriding them would route around its network proxies or
    // point disk faults at files the node does not use, and a run would test nothing.
    if (harnessOwnedSettings.includes(key)) usage(`--setting ${key}: set by the harness`);
    settings[key] = value;
  }
  return {
    seed: integer('seed', values.seed, 0),
    timeSeconds: integer('time', values.time, 1),
    nemesis,
    workloads: workloads as WorkloadName[],
    target: values.target,
    scenario: values.scenario,
    bug: values.bug,
    nodes: integer('nodes', values.nodes, 1),
    partitions: integer('partitions', values.partitions, 1),
    clients: integer('clients', values.clients, 1),
    results: values.results,
    operationTimeoutMs: integer('op-timeout-ms', values['op-timeout-ms'], 100),
    keepData: values['keep-data'],
    settings,
  };
}

const harnessOwnedSettings = [
  'nodeId',
  'dataDir',
  'clientHost',
  'clientPort',
  'peerHost',
  'peerPort',
  'metricsHost',
  'metricsPort',
  'controllerVoters',
  'clusterSecret',
  'joinVia',
  'advertisedPeerUrl',
];

function parseOptions() {
  return parseArgs({
    options: {
      time: { type: 'string', default: '60' },
      nemesis: { type: 'string', default: 'all' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      target: { type: 'string', default: 'broker' },
      workload: { type: 'string', default: 'all' },
      scenario: { type: 'string' },
      bug: { type: 'string' },
      nodes: { type: 'string', default: '3' },
      partitions: { type: 'string', default: '3' },
      clients: { type: 'string', default: '3' },
      results: { type: 'string', default: defaultResultsRoot },
      'op-timeout-ms': { type: 'string', default: '10000' },
      'keep-data': { type: 'boolean', default: false },
      setting: { type: 'string', multiple: true },
    },
  });
}

type Arguments = ReturnType<typeof parse>;

async function runBroker(args: Arguments, scratch: string): Promise<RunResult> {
  const majorityLoss = args.scenario === 'majority-loss';
  const target = await startBrokerTarget({
    baseDir: scratch,
    nodes: args.nodes,
    partitions: args.partitions,
    clients: args.clients,
    settings: args.settings,
    // Losing N-1 replicas keeps only what every replica acknowledged: acks=all, no polls.
    workloads: majorityLoss ? ['log'] : args.workloads,
    ...(majorityLoss ? { acks: ['all'], sendShare: 1 } : {}),
  });
  try {
    const options: RunOptions = {
      seed: args.seed,
      timeSeconds: args.timeSeconds,
      nemesis: args.nemesis,
      workload: target.workload,
      cluster: target.cluster,
      network: target.cluster.network,
      resultsRoot: args.results,
      operationTimeoutMs: args.operationTimeoutMs,
      recoveryTimeoutMs: 240_000,
      title: `${target.workload.name}${majorityLoss ? ' (majority loss)' : ''}, seed ${args.seed}`,
      log: (line) => console.log(line),
      ...(majorityLoss
        ? { afterHeal: majorityLossStep(target.cluster, target.workload.partitions, args.seed) }
        : {}),
    };
    return await runJepsen(options);
  } finally {
    await target.close();
  }
}

async function runToy(args: Arguments, scratch: string): Promise<RunResult> {
  const { startToyTarget } = await import('../test/toy/toy-target.ts');
  const target = await startToyTarget({
    baseDir: scratch,
    nodes: args.nodes,
    ...(args.bug ? { bug: 'lose-tail' as const } : {}),
  });
  try {
    return await runJepsen({
      seed: args.seed,
      timeSeconds: args.timeSeconds,
      nemesis: args.nemesis,
      workload: target.workload,
      cluster: target.cluster,
      network: target.network,
      resultsRoot: args.results,
      operationTimeoutMs: args.operationTimeoutMs,
      title: `toy log, seed ${args.seed}`,
      log: (line) => console.log(line),
    });
  } finally {
    await target.close();
  }
}

async function main(): Promise<void> {
  const args = parse();
  const scratch = mkdtempSync(join(tmpdir(), 'jepsen-cli-'));
  let result: RunResult | undefined;
  try {
    result = args.target === 'toy' ? await runToy(args, scratch) : await runBroker(args, scratch);
    console.log(`\n${summaryMarkdown(result.summary)}\nrecovery: ${result.recovery}`);
    console.log(`results: ${result.dir}\nreport: ${result.reportPath}`);
    process.exitCode = result.valid ? 0 : 1;
  } catch (error) {
    // A node that does not start (a bad --setting, say): what it said, no stack. Anything
    // else is a fault of the harness and keeps its stack.
    const logFile = (error as { logFile?: unknown }).logFile;
    if (typeof logFile !== 'string') throw error;
    console.error(`run failed: ${(error as Error).message}`);
    if (existsSync(logFile))
      console.error(readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n'));
    process.exitCode = 1;
  } finally {
    if (args.keepData || !result?.valid) console.log(`node data and logs kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
