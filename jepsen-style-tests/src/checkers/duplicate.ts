/**
 * duplicate: one value observed at two or more positions (partition and offset). Values are
 * unique per run, so every value may be stored at most once: this includes sends that failed
 * or timed out (indeterminate), which may appear once or not at all.
 */
import type { History } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog, positionsOf } from './log-analysis.ts';

export function checkDuplicates(history: History): CheckResult {
  const { observationsByValue, sends } = analyzeLog(history);
  const anomalies = new Anomalies('duplicate');
  for (const [key, observations] of observationsByValue) {
    anomalies.checked++;
    const positions = positionsOf(observations);
    if (positions.length < 2) continue;
    const send = sends.get(key);
    anomalies.add({
      value: observations[0]!.value,
      positions,
      sendOutcome: send?.outcome ?? 'never sent',
    });
  }
  return anomalies.result();
}
