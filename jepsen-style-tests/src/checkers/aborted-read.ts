/**
 * aborted-read: a reader observed a value whose send completed with `fail`, which promises the
 * record was certainly not written (Jepsen's G1a). Clients must record `info`, not `fail`,
 * whenever they cannot be sure.
 */
import type { History } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog, positionsOf } from './log-analysis.ts';

export function checkAbortedReads(history: History): CheckResult {
  const { observationsByValue, sends } = analyzeLog(history);
  const anomalies = new Anomalies('aborted-read');
  for (const [key, observations] of observationsByValue) {
    const send = sends.get(key);
    if (!send) continue;
    anomalies.checked++;
    if (send.outcome !== 'fail') continue;
    anomalies.add({
      value: send.value,
      send: send.invoke.index,
      error: send.completion?.error,
      positions: positionsOf(observations),
    });
  }
  return anomalies.result();
}
