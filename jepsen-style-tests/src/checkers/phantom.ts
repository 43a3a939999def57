/** phantom: a reader observed a value that no process ever tried to send. */
import type { History } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog, positionsOf } from './log-analysis.ts';

export function checkPhantoms(history: History): CheckResult {
  const { observationsByValue, sends } = analyzeLog(history);
  const anomalies = new Anomalies('phantom');
  for (const [key, observations] of observationsByValue) {
    anomalies.checked++;
    if (sends.has(key)) continue;
    anomalies.add({ value: observations[0]!.value, positions: positionsOf(observations) });
  }
  return anomalies.result();
}
