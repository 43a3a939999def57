/**
 * poll-skip: a consumer received offset a and then offset b > a + 1 on one partition, while
 * some offset between them holds a record (someone read it or a producer was acknowledged
 * at it): the consumer skipped a record.
 */
import type { History } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';
import { forEachPollStep } from './poll-sequences.ts';

export function checkPollSkips(history: History): CheckResult {
  const { partitions } = analyzeLog(history);
  const anomalies = new Anomalies('poll-skip');
  forEachPollStep(history, (step) => {
    anomalies.checked++;
    if (step.next.offset <= step.previous.offset + 1) return;
    const known = partitions.get(step.partition)?.knownOffsets;
    const skipped: number[] = [];
    for (let offset = step.previous.offset + 1; offset < step.next.offset; offset++) {
      if (known?.has(offset)) skipped.push(offset);
      if (skipped.length >= 4) break;
    }
    if (skipped.length === 0) return;
    anomalies.add({ ...step, skipped });
  });
  return anomalies.result();
}
