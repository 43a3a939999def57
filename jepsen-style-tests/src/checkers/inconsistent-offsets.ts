/**
 * inconsistent-offsets: two different values at one offset of a partition, across every
 * reader and every acknowledgement (a send acknowledged at offset o claims o for its value).
 */
import type { History } from '../history/operation.ts';
import { partitionKey, type RecordValue, valueKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';

export function checkInconsistentOffsets(history: History): CheckResult {
  const { observations, sends } = analyzeLog(history);
  const valuesAt = new Map<string, Map<string, { value: RecordValue; by: string[] }>>();
  const claim = (position: string, value: RecordValue, by: string): void => {
    let values = valuesAt.get(position);
    if (!values) {
      values = new Map();
      valuesAt.set(position, values);
    }
    const key = valueKey(value);
    const entry = values.get(key);
    if (entry) {
      if (entry.by.length < 4) entry.by.push(by);
    } else values.set(key, { value, by: [by] });
  };
  for (const o of observations) {
    claim(`${partitionKey(o)}@${o.offset}`, o.value, `${o.op.f} #${o.op.index}`);
  }
  for (const send of sends.values()) {
    if (send.outcome !== 'ok' || send.offset === undefined || send.partition === undefined)
      continue;
    const position = `${partitionKey({ topic: send.topic, partition: send.partition })}@${send.offset}`;
    claim(position, send.value, `send ack #${send.completion?.index}`);
  }
  const anomalies = new Anomalies('inconsistent-offsets');
  for (const [position, values] of valuesAt) {
    anomalies.checked++;
    if (values.size < 2) continue;
    anomalies.add({ position, values: [...values.values()] });
  }
  return anomalies.result();
}
