/**
 * nonmonotonic-poll: a consumer received a record at an offset not greater than the record it
 * received before on the same partition (within one poll or across polls), without having
 * been reassigned in between.
 */
import type { History } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { forEachPollStep } from './poll-sequences.ts';

export function checkNonmonotonicPolls(history: History): CheckResult {
  const anomalies = new Anomalies('nonmonotonic-poll');
  forEachPollStep(history, (step) => {
    anomalies.checked++;
    if (step.next.offset > step.previous.offset) return;
    anomalies.add(step);
  });
  return anomalies.result();
}
