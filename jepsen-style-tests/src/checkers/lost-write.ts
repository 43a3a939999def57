/**
 * lost-write: an acknowledged send that no reader ever saw, although its partition was read
 * where it should have been: a complete read-back of the partition exists, or some reader saw
 * an offset beyond the one the send was acknowledged at.
 */
import type { History } from '../history/operation.ts';
import { partitionKey, valueKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';

export function checkLostWrites(history: History): CheckResult {
  const { sends, observationsByValue, partitions } = analyzeLog(history);
  const anomalies = new Anomalies('lost-write');
  for (const send of sends.values()) {
    if (send.outcome !== 'ok') continue;
    anomalies.checked++;
    if (observationsByValue.has(valueKey(send.value))) continue;
    if (send.partition === undefined) continue;
    const facts = partitions.get(partitionKey({ topic: send.topic, partition: send.partition }));
    if (!facts) continue;
    const readPast = send.offset !== undefined && facts.readOffsetMax > send.offset;
    const readCompletely = facts.completeReadBacks.length > 0;
    if (!readPast && !readCompletely) continue;
    anomalies.add({
      value: send.value,
      topic: send.topic,
      partition: send.partition,
      offset: send.offset,
      send: send.invoke.index,
      evidence: readCompletely ? 'complete read-back' : `read up to offset ${facts.readOffsetMax}`,
    });
  }
  return anomalies.result();
}
