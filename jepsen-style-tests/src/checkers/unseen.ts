/**
 * unseen: an acknowledged send that no reader ever saw, where no reader could have been
 * expected to (no complete read-back of its partition started after the ack, and no reader
 * read past its offset), so it is not provably lost. Runs end with a complete read-back of
 * every partition, so an unseen write means the read-back did not happen: that fails too.
 */
import type { History } from '../history/operation.ts';
import { partitionKey, valueKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';

export function checkUnseen(history: History): CheckResult {
  const { sends, observationsByValue, partitions, startMsOf } = analyzeLog(history);
  const anomalies = new Anomalies('unseen');
  for (const send of sends.values()) {
    if (send.outcome !== 'ok') continue;
    anomalies.checked++;
    if (observationsByValue.has(valueKey(send.value))) continue;
    const facts =
      send.partition === undefined
        ? undefined
        : partitions.get(partitionKey({ topic: send.topic, partition: send.partition }));
    const ackedAtMs = send.completion?.timeMs ?? Number.POSITIVE_INFINITY;
    const readPast =
      facts !== undefined && send.offset !== undefined && facts.readOffsetMax > send.offset;
    const readAfter =
      facts?.completeReadBacks.some((r) => (startMsOf.get(r.index) ?? r.timeMs) > ackedAtMs) ??
      false;
    if (readPast || readAfter) continue; // that is a lost write, reported there
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
