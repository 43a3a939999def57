/**
 * nonmonotonic-commit: a group's committed offset on a partition never goes backwards in real
 * time. For two acknowledged commits, or reads of the committed offset (`fetch-offset`), where
 * the first completed before the second began, the second offset is not lower.
 */
import type { History } from '../history/operation.ts';
import { partitionKey } from '../history/operation.ts';
import { pairOperations } from '../history/pairs.ts';
import { Anomalies, type CheckResult } from './check-result.ts';

interface OffsetEvent {
  readonly op: number;
  readonly f: string;
  readonly offset: number;
  readonly startMs: number;
  readonly endMs: number;
}

export function checkNonmonotonicCommits(history: History): CheckResult {
  const streams = new Map<string, OffsetEvent[]>();
  for (const pair of pairOperations(history)) {
    const completion = pair.completion;
    if (pair.outcome !== 'ok' || !completion) continue;
    if (completion.f !== 'commit' && completion.f !== 'fetch-offset') continue;
    const offset = completion.value.offset;
    if (offset === undefined) continue;
    const key = `${completion.value.group} ${partitionKey(completion.value)}`;
    const event = {
      op: completion.index,
      f: completion.f,
      offset,
      startMs: pair.startMs,
      endMs: pair.endMs,
    };
    const list = streams.get(key);
    if (list) list.push(event);
    else streams.set(key, [event]);
  }
  const anomalies = new Anomalies('nonmonotonic-commit');
  for (const [key, events] of streams) checkStream(key, events, anomalies);
  return anomalies.result();
}

/** Sweep by start time, holding the highest offset among events that ended before it. */
function checkStream(key: string, events: OffsetEvent[], anomalies: Anomalies): void {
  const byEnd = [...events].sort((a, b) => a.endMs - b.endMs);
  const byStart = [...events].sort((a, b) => a.startMs - b.startMs);
  let ended = 0;
  let highest: OffsetEvent | undefined;
  for (const event of byStart) {
    while (ended < byEnd.length && byEnd[ended]!.endMs < event.startMs) {
      const done = byEnd[ended++]!;
      if (!highest || done.offset > highest.offset) highest = done;
    }
    anomalies.checked++;
    if (highest && event.offset < highest.offset) {
      anomalies.add({ stream: key, before: highest, after: event });
    }
  }
}
