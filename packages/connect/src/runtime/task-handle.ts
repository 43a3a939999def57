/**
 * One task's life on a worker: started, running, paused, failed, stopped. A task that
 * fails with a retriable error (a database down, a topic not yet created) starts again
 * after a backoff (1 s doubling to 30 s); one that fails otherwise (bad configuration, a
 * bad record with errorTolerance none) stays failed until restarted. Pausing stops the
 * task gracefully (positions stored, offsets committed); resuming starts it again.
 */
import type { Admin, Client } from '@tributary/client';
import type { ConnectorConfig } from '../config/connector-config.ts';
import { errorMessage, isRetriable } from '../errors.ts';
import { limits } from '../limits.ts';
import type { Logger } from './logger.ts';
import type { OffsetStore } from './offset-store.ts';
import { SinkTaskRunner } from './sink-runner.ts';
import { sleep } from './sleep.ts';
import { SourceTaskRunner } from './source-runner.ts';

export type TaskState = 'STARTING' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'STOPPED';

export interface TaskStatus {
  readonly connector: string;
  readonly task: number;
  readonly state: TaskState;
  readonly workerId: string;
  readonly error?: string;
  readonly restarts: number;
}

export interface TaskDeps {
  readonly client: Client;
  readonly admin: Admin;
  readonly offsets: OffsetStore;
  readonly workerId: string;
  readonly log: Logger;
}

export class TaskHandle {
  private state: TaskState = 'STARTING';
  private error: string | undefined;
  private restarts = 0;
  private paused: boolean;
  private stopped = false;
  private current: AbortController | undefined;
  private wake = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly deps: TaskDeps,
    readonly config: ConnectorConfig,
    readonly index: number,
    private readonly taskConfig: unknown,
    private readonly onStatus: (status: TaskStatus) => void,
    options: { paused: boolean },
  ) {
    this.paused = options.paused;
    this.log = deps.log.child({ connector: config.name, task: index });
  }

  get id(): string {
    return `${this.config.name}/${this.index}`;
  }

  status(): TaskStatus {
    return {
      connector: this.config.name,
      task: this.index,
      state: this.state,
      workerId: this.deps.workerId,
      ...(this.error === undefined ? {} : { error: this.error }),
      restarts: this.restarts,
    };
  }

  start(): void {
    this.loop ??= this.runLoop();
  }

  private setState(state: TaskState, error?: unknown): void {
    this.state = state;
    this.error = error === undefined ? undefined : errorMessage(error);
    if (state === 'FAILED') this.log.error('task failed', { error: this.error });
    else this.log.info(`task ${state.toLowerCase()}`);
    this.onStatus(this.status());
  }

  private async runLoop(): Promise<void> {
    let backoffMs: number = limits.taskRestartBackoffMsInitial;
    while (!this.stopped) {
      if (this.paused) {
        this.setState('PAUSED');
        await this.sleepUntilWoken(undefined);
        continue;
      }
      const controller = new AbortController();
      this.current = controller;
      this.setState('STARTING');
      try {
        await this.runOnce(controller.signal, () => {
          backoffMs = limits.taskRestartBackoffMsInitial;
          this.setState('RUNNING');
        });
      } catch (error) {
        if (controller.signal.aborted) continue; // stopped or paused while failing
        this.setState('FAILED', error);
        this.restarts += 1;
        await this.sleepUntilWoken(isRetriable(error) ? backoffMs : undefined);
        backoffMs = Math.min(backoffMs * 2, limits.taskRestartBackoffMsMax);
      } finally {
        this.current = undefined;
      }
    }
    this.setState('STOPPED');
  }

  private async runOnce(signal: AbortSignal, onStarted: () => void): Promise<void> {
    const plugin = this.config.plugin;
    const context = { connector: this.config.name, taskIndex: this.index, log: this.log };
    if (plugin.kind === 'source') {
      const task = plugin.createTask(this.taskConfig, context);
      await new SourceTaskRunner({ ...this.deps, log: this.log }, this.config, task).run(
        signal,
        onStarted,
      );
    } else {
      const task = plugin.createTask(this.taskConfig, context);
      await new SinkTaskRunner({ ...this.deps, log: this.log }, this.config, task).run(
        signal,
        onStarted,
      );
    }
  }

  /** Waits for a pause, resume, restart or stop (or `ms`, if given). */
  private async sleepUntilWoken(ms: number | undefined): Promise<void> {
    const wake = this.wake.signal;
    if (ms === undefined)
      await new Promise<void>((resolve) =>
        wake.aborted ? resolve() : wake.addEventListener('abort', () => resolve(), { once: true }),
      );
    else await sleep(ms, wake);
  }

  private poke(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  /** Stops the running task gracefully and keeps it paused. */
  async pause(): Promise<void> {
    this.paused = true;
    this.current?.abort();
    this.poke();
  }

  resume(): void {
    this.paused = false;
    this.poke();
  }

  /** A failed task starts again now. */
  restart(): void {
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    this.poke();
    await this.loop;
  }
}
