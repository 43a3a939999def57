/**
 * lost-write: a record known to exist that a later complete read-back of its partition does
 * not contain, or an acknowledged record no reader ever saw although readers read past it.
 *
 * A record is known to exist once its send was acknowledged (ok) or once any reader observed
 * it (reads see only committed records). A complete read-back that started after that moment
 * must contain it. Without a complete read-back, the Jepsen rule applies: an acknowledged
 * write never read, while some reader saw a higher offset of its partition, is lost.
 */
import type { History, RecordValue } from '../history/operation.ts';
import { partitionKey, valueKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog, type LogAnalysis } from './log-analysis.ts';

interface KnownRecord {
  readonly value: RecordValue;
  readonly partition: string;
  readonly offset: number | undefined;
  /** When it became known to exist (ack or first observation completed). */
  readonly knownAtMs: number;
  readonly acknowledged: boolean;
  readonly observed: boolean;
}

export function checkLostWrites(history: History): CheckResult {
  const analysis = analyzeLog(history);
  const anomalies = new Anomalies('lost-write');
  const contents = readBackContents(analysis);
  for (const record of knownRecords(analysis)) {
    anomalies.checked++;
    const facts = analysis.partitions.get(record.partition);
    const missingFrom = facts?.completeReadBacks.find(
      (r) =>
        (analysis.startMsOf.get(r.index) ?? r.timeMs) > record.knownAtMs &&
        !contents.get(r.index)!.has(valueKey(record.value)),
    );
    const readPast =
      record.acknowledged &&
      !record.observed &&
      record.offset !== undefined &&
      facts !== undefined &&
      facts.readOffsetMax > record.offset;
    if (!missingFrom && !readPast) continue;
    anomalies.add({
      value: record.value,
      partition: record.partition,
      offset: record.offset,
      acknowledged: record.acknowledged,
      evidence: missingFrom
        ? `missing from complete read-back #${missingFrom.index}`
        : `read up to offset ${facts!.readOffsetMax}`,
    });
  }
  return anomalies.result();
}

function knownRecords(analysis: LogAnalysis): KnownRecord[] {
  const known = new Map<string, KnownRecord>();
  for (const send of analysis.sends.values()) {
    if (send.outcome !== 'ok' || send.partition === undefined) continue;
    const key = valueKey(send.value);
    known.set(key, {
      value: send.value,
      partition: partitionKey({ topic: send.topic, partition: send.partition }),
      offset: send.offset,
      knownAtMs: send.completion?.timeMs ?? Number.POSITIVE_INFINITY,
      acknowledged: true,
      observed: analysis.observationsByValue.has(key),
    });
  }
  for (const [key, observations] of analysis.observationsByValue) {
    const first = observations.reduce((a, b) => (b.op.timeMs < a.op.timeMs ? b : a));
    const previous = known.get(key);
    if (previous && previous.knownAtMs <= first.op.timeMs) continue;
    known.set(key, {
      value: first.value,
      partition: partitionKey(first),
      offset: first.offset,
      knownAtMs: first.op.timeMs,
      acknowledged: previous?.acknowledged ?? false,
      observed: true,
    });
  }
  return [...known.values()];
}

/** Completion index of each complete read-back → the values it holds. */
function readBackContents(analysis: LogAnalysis): Map<number, Set<string>> {
  const contents = new Map<number, Set<string>>();
  for (const facts of analysis.partitions.values()) {
    for (const r of facts.completeReadBacks) {
      contents.set(
        r.index,
        new Set((r.value.records ?? []).map((record) => valueKey(record.value))),
      );
    }
  }
  return contents;
}
