/**
 * unseen: an acknowledged send that no reader ever saw, where no reader covered its partition
 * either (so it is not provably lost). Runs end with a complete read-back of every partition,
 * so an unseen write means the read-back did not reach it: that fails the run too.
 */
import type { History } from '../history/operation.ts';
import { partitionKey, valueKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';

export function checkUnseen(history: History): CheckResult {
  const { sends, observationsByValue, partitions } = analyzeLog(history);
  const anomalies = new Anomalies('unseen');
  for (const send of sends.values()) {
    if (send.outcome !== 'ok') continue;
    anomalies.checked++;
    if (observationsByValue.has(valueKey(send.value))) continue;
    const facts =
      send.partition === undefined
        ? undefined
        : partitions.get(partitionKey({ topic: send.topic, partition: send.partition }));
    const readPast =
      facts !== undefined && send.offset !== undefined && facts.readOffsetMax > send.offset;
    const readCompletely = facts !== undefined && facts.completeReadBacks.length > 0;
    if (readPast || readCompletely) continue; // that is a lost write, reported there
    anomalies.add({
      value: send.value,
      topic: send.topic,
      partition: send.partition,
      offset: send.offset,
      send: send.invoke.index,
    });
  }
  return anomalies.result();
}
