/**
 * One client process as seen from the harness: starts it, sends it operations, and gives up
 * on it (SIGKILL) when it does not answer in time. A process that was given up on is replaced
 * by the caller, with a new process id in the history.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JepsenError } from '../errors.ts';
import type { ClientMessage, HostMessage } from './client-messages.ts';
import type { Completion, OperationRequest } from './workload.ts';

const hostPath = fileURLToPath(new URL('./client-host.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
/** Under heavy load a fresh process compiling TypeScript on the fly can take minutes. */
const startTimeoutMs = 180_000;
/** Extra time a client gets beyond the operation timeout before it is declared hung. */
const answerGraceMs = 2000;

export class ClientProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (completion: Completion | undefined) => void>();
  private nextId = 0;
  private exited = false;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (message: HostMessage) => {
      if (message.type !== 'completion') return;
      this.waiting.get(message.id)?.(message.completion);
      this.waiting.delete(message.id);
    });
    child.on('exit', () => {
      this.exited = true;
      for (const resolve of this.waiting.values()) resolve(undefined);
      this.waiting.clear();
    });
  }

  static async start(module: string, config: unknown): Promise<ClientProcess> {
    const child = fork(hostPath, [JSON.stringify({ module, config })], {
      execArgv: ['--import', tsxLoader],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const client = new ClientProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new JepsenError('client-process', 'client did not start')),
        startTimeoutMs,
      );
      child.once('message', (message: HostMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new JepsenError('client-process', `client exited during start (${code})`));
      });
    });
    return client;
  }

  /** The completion, or undefined when the process died or hung (then it is killed). */
  invoke(request: OperationRequest, timeoutMs: number): Promise<Completion | undefined> {
    if (this.exited) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.kill();
        resolve(undefined);
      }, timeoutMs + answerGraceMs);
      this.waiting.set(id, (completion) => {
        clearTimeout(timer);
        resolve(completion);
      });
      const message: ClientMessage = { type: 'invoke', id, request, timeoutMs };
      this.child.send(message);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const message: ClientMessage = { type: 'close' };
    this.child.send(message);
    const timer = setTimeout(() => this.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
