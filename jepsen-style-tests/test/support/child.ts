/** A child process whose stdout lines a test can wait for. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from '../../src/runner/sleep.ts';

export interface WatchedChild {
  readonly process: ChildProcess;
  lines(): readonly string[];
  waitForLine(line: string, timeoutMs?: number): Promise<void>;
  send(line: string): void;
  stop(): Promise<void>;
}

export function spawnWatched(argv: readonly string[]): WatchedChild {
  const [file, ...args] = argv;
  const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    lines: () => lines,
    waitForLine: (line, timeoutMs = 15_000) =>
      waitFor(() => lines.includes(line), { timeoutMs, what: `"${line}" from ${args.join(' ')}` }),
    send: (line) => child.stdin!.write(`${line}\n`),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
