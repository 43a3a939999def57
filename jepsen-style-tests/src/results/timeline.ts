/**
 * Timeline data for the report: completed operations per second by outcome, latency of each
 * send, and the windows during which a fault was active.
 */

import type { CompletionType, History } from '../history/operation.ts';
import { pairOperations } from '../history/pairs.ts';
import { reportBucketMs, reportLatencyPointsMax } from '../limits.ts';

export interface ThroughputBucket {
  readonly startMs: number;
  readonly endMs: number;
  /** Completions per second in this bucket, by outcome (sends) plus polls. */
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly polls: number;
}

export interface LatencyPoint {
  readonly startMs: number;
  readonly latencyMs: number;
  readonly outcome: CompletionType;
}

export interface FaultWindow {
  readonly kind: string;
  readonly targets: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
}

export interface Timeline {
  readonly durationMs: number;
  readonly buckets: readonly ThroughputBucket[];
  readonly latencies: readonly LatencyPoint[];
  readonly faults: readonly FaultWindow[];
}

export function buildTimeline(history: History, bucketMs = reportBucketMs): Timeline {
  const durationMs = Math.max(1, history.at(-1)?.timeMs ?? 0);
  const bucketCount = Math.max(1, Math.ceil(durationMs / bucketMs));
  const counts = Array.from({ length: bucketCount }, () => ({ ok: 0, fail: 0, info: 0, polls: 0 }));
  const latencies: LatencyPoint[] = [];
  for (const pair of pairOperations(history)) {
    if (pair.invoke.process === 'nemesis') continue;
    const bucket = counts[Math.min(bucketCount - 1, Math.floor(pair.endMs / bucketMs))]!;
    if (pair.invoke.f === 'poll' && pair.outcome === 'ok') bucket.polls++;
    if (pair.invoke.f !== 'send') continue;
    bucket[pair.outcome]++;
    latencies.push({
      startMs: pair.startMs,
      latencyMs: pair.endMs - pair.startMs,
      outcome: pair.outcome,
    });
  }
  // The last bucket may be partial: its rate is over the time it covers.
  const buckets = counts.map((c, i) => {
    const perSecond = 1000 / Math.max(1, Math.min(durationMs, (i + 1) * bucketMs) - i * bucketMs);
    return {
      startMs: i * bucketMs,
      endMs: Math.min(durationMs, (i + 1) * bucketMs),
      ok: c.ok * perSecond,
      fail: c.fail * perSecond,
      info: c.info * perSecond,
      polls: c.polls * perSecond,
    };
  });
  return {
    durationMs,
    buckets,
    latencies: sample(latencies, reportLatencyPointsMax),
    faults: faultWindows(history, durationMs),
  };
}

/** Every k-th point, so a long run draws a bounded number of points. */
function sample<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  return Array.from({ length: max }, (_, i) => points[Math.floor(i * step)]!);
}

/** From each fault-start invoke to the completion of the next fault-stop of the same kind. */
export function faultWindows(history: History, durationMs: number): FaultWindow[] {
  const open = new Map<string, { startMs: number; targets: readonly string[] }[]>();
  const windows: FaultWindow[] = [];
  for (const op of history) {
    if (op.process !== 'nemesis') continue;
    if (op.f === 'fault-start') {
      const list = open.get(op.value.kind) ?? [];
      if (op.type === 'invoke') list.push({ startMs: op.timeMs, targets: [] });
      else if (list.length > 0) list[list.length - 1]!.targets = op.value.targets ?? [];
      open.set(op.value.kind, list);
    } else if (op.f === 'fault-stop' && op.type !== 'invoke') {
      const started = open.get(op.value.kind)?.shift();
      if (started)
        windows.push({
          kind: op.value.kind,
          targets: started.targets,
          startMs: started.startMs,
          endMs: op.timeMs,
        });
    }
  }
  for (const [kind, list] of open) {
    for (const started of list)
      windows.push({ kind, targets: started.targets, startMs: started.startMs, endMs: durationMs });
  }
  return windows.sort((a, b) => a.startMs - b.startMs);
}
