/**
 * When the Raft cluster benchmark's (tools/bench/src/raft-cluster.ts) open loop releases entries: every group is credited
 * for the time that really passed since it was last served, so the offered rate holds
 * even when the generator's timer fires late (on a loaded machine a 10 ms interval fires
 * every 12-16 ms; crediting a fixed share per firing offered only 40-45k of a nominal
 * 55k entries/s).
 *
 * Each group is served once per 10 ms period, at its own phase within it:
 * - `burst`: every group at phase 0 (the timer fires every 10 ms): every leader receives
 *   all its groups' entries at once.
 * - `spread`: group i at phase i mod 10 ms (the timer fires every millisecond), as
 *   proposals from many independent producers reach a broker at unrelated moments.
 * A late timer serves every group whose turn has passed, so none waits much past its period.
 */

export type ReleaseMode = 'burst' | 'spread';

export const releaseModes: readonly ReleaseMode[] = ['burst', 'spread'];

const periodMs = 10;

interface ModeShape {
  readonly intervalMs: number;
  /** Distinct phases within the period (groups take them in turn). */
  readonly phases: number;
}

const shapes: Record<ReleaseMode, ModeShape> = {
  burst: { intervalMs: periodMs, phases: 1 },
  spread: { intervalMs: 1, phases: periodMs },
};

export interface OpenLoopReleaseOptions {
  readonly mode: ReleaseMode;
  readonly groupCount: number;
  /** Entries per second over all groups. */
  readonly entriesPerSecond: number;
  /** Credit (and entries in flight) a group may hold at most. */
  readonly windowEntries: number;
  readonly startMs: number;
}

export class OpenLoopRelease {
  readonly intervalMs: number;
  private readonly entriesPerGroupPerMs: number;
  private readonly credit: number[];
  private readonly creditedAtMs: number[];
  /** When each group is served next. */
  private readonly dueAtMs: number[];

  constructor(private readonly options: OpenLoopReleaseOptions) {
    if (!Number.isInteger(options.groupCount) || options.groupCount < 1)
      throw new RangeError('groupCount must be an integer >= 1');
    if (!(options.entriesPerSecond > 0)) throw new RangeError('entriesPerSecond must be > 0');
    const shape = shapes[options.mode];
    this.intervalMs = shape.intervalMs;
    this.entriesPerGroupPerMs = options.entriesPerSecond / options.groupCount / 1000;
    this.credit = new Array<number>(options.groupCount).fill(0);
    this.creditedAtMs = new Array<number>(options.groupCount).fill(options.startMs);
    const phaseMs = periodMs / shape.phases;
    this.dueAtMs = Array.from(
      { length: options.groupCount },
      (_, i) => options.startMs + (i % shape.phases) * phaseMs,
    );
  }

  /**
   * Called at every firing of the timer: the entries to send now, as [group index, count].
   * `inflight(i)` is how many entries of group i still wait for their reply.
   */
  due(nowMs: number, inflight: (group: number) => number): [number, number][] {
    const sends: [number, number][] = [];
    const { groupCount, windowEntries } = this.options;
    for (let i = 0; i < groupCount; i++) {
      const dueAtMs = this.dueAtMs[i] as number;
      if (nowMs < dueAtMs) continue;
      // The next turn at this group's phase, after now.
      this.dueAtMs[i] = dueAtMs + (Math.floor((nowMs - dueAtMs) / periodMs) + 1) * periodMs;
      const elapsedMs = Math.max(0, nowMs - (this.creditedAtMs[i] as number));
      this.creditedAtMs[i] = nowMs;
      const credit = Math.min(
        windowEntries,
        (this.credit[i] as number) + elapsedMs * this.entriesPerGroupPerMs,
      );
      const count = Math.min(Math.floor(credit), windowEntries - inflight(i));
      this.credit[i] = count > 0 ? credit - count : credit;
      if (count > 0) sends.push([i, count]);
    }
    return sends;
  }
}
