/**
 * Runs a fault schedule against a cluster: one fault at a time, each recorded in the history
 * as `fault-start` and `fault-stop` operations of process `nemesis`, and heals everything at
 * the end (or when aborted).
 */
import type { OperationInput } from '../history/operation.ts';
import { Prng } from '../prng.ts';
import { abortableSleep } from '../runner/sleep.ts';
import { type ActiveFault, type NemesisContext, startFault } from './faults.ts';
import type { ScheduledFault } from './schedule.ts';

export interface NemesisOptions {
  readonly context: Omit<NemesisContext, 'paused'>;
  readonly record: (op: OperationInput) => void;
  /** Milliseconds since the start of the run (the history's clock). */
  readonly nowMs: () => number;
  readonly log?: (line: string) => void;
}

export class Nemesis {
  private readonly context: NemesisContext;
  private active: ActiveFault | undefined;

  constructor(private readonly options: NemesisOptions) {
    this.context = { ...options.context, paused: new Set() };
  }

  /**
   * Runs the schedule until it ends or `signal` aborts; the last fault is stopped either way.
   * Schedule times count from `originMs` (the start of the workload, on the history's clock),
   * shifted by however late the faults so far have run.
   */
  async run(schedule: readonly ScheduledFault[], signal: AbortSignal, originMs = 0): Promise<void> {
    // A fault can take longer than planned to start or undo (a restart under heavy load takes
    // tens of seconds). The rest of the schedule then shifts by the delay, so every fault
    // still lasts its planned time and every quiet gap after it is kept: without the shift, a
    // late schedule would start and stop faults back to back with no time in between.
    let lateMs = 0;
    for (const fault of schedule) {
      const startMs = originMs + fault.atMs + lateMs;
      if (!(await abortableSleep(startMs - this.options.nowMs(), signal))) break;
      await this.inject(fault);
      await abortableSleep(fault.durationMs, signal);
      await this.stopActive(fault.kind);
      if (signal.aborted) break;
      lateMs = Math.max(lateMs, this.options.nowMs() - (originMs + fault.atMs + fault.durationMs));
    }
  }

  private async inject(fault: ScheduledFault): Promise<void> {
    const { record, nowMs } = this.options;
    record({
      process: 'nemesis',
      type: 'invoke',
      f: 'fault-start',
      timeMs: nowMs(),
      value: { kind: fault.kind },
    });
    try {
      this.active = await startFault(fault.kind, this.context, new Prng(fault.seed));
      const { targets, detail } = this.active;
      const value = { kind: fault.kind, targets: [...targets], ...(detail ? { detail } : {}) };
      record({ process: 'nemesis', type: 'ok', f: 'fault-start', timeMs: nowMs(), value });
      this.options.log?.(`nemesis: ${fault.kind} ${targets.join(',')} ${detail ?? ''}`);
    } catch (cause) {
      this.active = undefined;
      const error = cause instanceof Error ? cause.message : String(cause);
      record({
        process: 'nemesis',
        type: 'info',
        f: 'fault-start',
        timeMs: nowMs(),
        value: { kind: fault.kind },
        error,
      });
      this.options.log?.(`nemesis: ${fault.kind} could not start: ${error}`);
    }
  }

  private async stopActive(kind: string): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    const { record, nowMs } = this.options;
    const targets = [...active.targets];
    record({
      process: 'nemesis',
      type: 'invoke',
      f: 'fault-stop',
      timeMs: nowMs(),
      value: { kind, targets },
    });
    try {
      const detail = await active.stop();
      record({
        process: 'nemesis',
        type: 'ok',
        f: 'fault-stop',
        timeMs: nowMs(),
        value: { kind, targets, ...(detail ? { detail } : {}) },
      });
    } catch (cause) {
      const error = cause instanceof Error ? cause.message : String(cause);
      record({
        process: 'nemesis',
        type: 'info',
        f: 'fault-stop',
        timeMs: nowMs(),
        value: { kind, targets },
        error,
      });
      this.options.log?.(`nemesis: stopping ${kind} failed: ${error}`);
    }
  }

  /**
   * Heals the network, resumes paused nodes, restarts stopped ones. Safe to call any time.
   * Returns the nodes that would not start again (a node may rightly refuse damaged data).
   */
  async healAll(): Promise<string[]> {
    const { cluster, network } = this.context;
    await network?.heal();
    for (const node of [...this.context.paused]) {
      if (cluster.isRunning(node)) await cluster.kill(node, 'SIGCONT');
      this.context.paused.delete(node);
    }
    const refused: string[] = [];
    for (const node of cluster.nodes()) {
      if (cluster.isRunning(node.id)) continue;
      try {
        await cluster.start(node.id);
      } catch (cause) {
        refused.push(node.id);
        this.options.log?.(
          `nemesis: ${node.id} would not start: ${cause instanceof Error ? cause.message : String(cause)}`,
        );
      }
    }
    return refused;
  }
}
