/**
 * End-to-end helpers: one real three-node cluster (child processes via @tributary/launch)
 * per test file, and the real `tributary` process spawned against it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LocalCluster } from '@tributary/launch';
import { startScratchCluster } from '@tributary/launch/testing';
import { run } from '../../src/index.ts';
import { fakeIo } from '../helpers/fake-io.ts';

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
export const binScript = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));
/** A spawned CLI that has not finished by then is killed and the test fails. */
const cliDeadlineMs = 90_000;

export interface TestCluster {
  readonly cluster: LocalCluster;
  readonly brokers: string;
  close(): Promise<void>;
}

export async function startCluster(): Promise<TestCluster> {
  // Default Raft ticks (50 ms): nothing here waits on elections, and idle brokers cost less CPU.
  const { cluster, close } = await startScratchCluster({ name: 'cli-e2e', nodes: 3 });
  return { cluster, brokers: cluster.bootstrap.join(','), close: () => close() };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly brokers?: string;
  readonly stdin?: string;
  /** Run through bin/tributary.js (the npm bin) instead of src/main.ts. */
  readonly viaBin?: boolean;
}

/** Starts the CLI; `result` settles when it exits. */
export function startCli(args: readonly string[], options: CliOptions = {}) {
  const argv = options.viaBin ? [binScript] : ['--import', 'tsx', mainScript];
  const child: ChildProcess = spawn(process.execPath, [...argv, ...args], {
    env: { ...process.env, TRIBUTARY_BROKERS: options.brokers ?? '', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin?.end(options.stdin ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), cliDeadlineMs);
  const result = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result, output: () => stdout };
}

export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export { until } from '@tributary/launch/testing';

/**
 * The same CLI run inside the test process (`run` with captured streams) against the
 * cluster: every line of command code runs, only `main.ts`'s process wiring does not. It
 * spares a node+tsx start (about 1.7 CPU-seconds here) for checks that need no process.
 */
export async function inProcess(
  args: readonly string[],
  options: { readonly brokers: string; readonly stdin?: string },
): Promise<CliResult> {
  const io = fakeIo({
    env: { TRIBUTARY_BROKERS: options.brokers },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  const code = await run(args, io);
  return { code, signal: null, stdout: io.stdout.text, stderr: io.stderr.text };
}
