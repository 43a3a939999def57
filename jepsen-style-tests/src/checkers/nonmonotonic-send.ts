/**
 * nonmonotonic-send: one producer process sends one at a time (or, in a pipelined send,
 * several calls without awaiting), so the offsets acknowledged to it on one partition must
 * strictly increase, in the order it called send. Facts of one pipelined send share its
 * invoke and come in call order; the sort is stable.
 */
import type { History, ProcessId } from '../history/operation.ts';
import { partitionKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';

export function checkNonmonotonicSends(history: History): CheckResult {
  const { sends } = analyzeLog(history);
  const anomalies = new Anomalies('nonmonotonic-send');
  const last = new Map<string, { value: unknown; offset: number; send: number }>();
  const ordered = [...sends.values()].sort((a, b) => a.invoke.index - b.invoke.index);
  for (const send of ordered) {
    if (send.outcome !== 'ok' || send.offset === undefined || send.partition === undefined)
      continue;
    anomalies.checked++;
    const key = streamKey(
      send.invoke.process,
      partitionKey({ topic: send.topic, partition: send.partition }),
    );
    const previous = last.get(key);
    const current = { value: send.value, offset: send.offset, send: send.invoke.index };
    if (previous && current.offset <= previous.offset) {
      anomalies.add({ process: send.invoke.process, partition: key, previous, next: current });
    }
    last.set(key, current);
  }
  return anomalies.result();
}

function streamKey(process: ProcessId, partition: string): string {
  return `${process} ${partition}`;
}
