/**
 * reader-divergence: readers of one partition must agree. Each read-back has contiguous,
 * increasing offsets (`gap`, `not-increasing`); two readers see the values they share in the
 * same order (`order`); and a complete read-back that started after another one finished
 * reaches at least as far (`shrunk`: the log lost its tail in between).
 */
import type { History, ReadBackOperation } from '../history/operation.ts';
import { partitionKey, valueKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog, type PartitionFacts } from './log-analysis.ts';

export function checkReaderDivergence(history: History): CheckResult {
  const { partitions } = analyzeLog(history);
  const anomalies = new Anomalies('reader-divergence');
  const startMs = invokeTimes(history);
  for (const facts of partitions.values()) {
    if (facts.readBacks.length === 0) continue;
    anomalies.checked++;
    for (const readBack of facts.readBacks) checkContiguous(readBack, anomalies);
    checkOrder(facts, anomalies);
    checkNoShrink(facts, startMs, anomalies);
  }
  return anomalies.result();
}

function checkContiguous(readBack: ReadBackOperation, anomalies: Anomalies): void {
  const records = readBack.value.records ?? [];
  let expected = readBack.value.offsetFirst ?? records[0]?.offset ?? 0;
  for (const record of records) {
    if (record.offset !== expected) {
      anomalies.add({
        kind: record.offset < expected ? 'not-increasing' : 'gap',
        partition: partitionKey(readBack.value),
        reader: readBack.index,
        expectedOffset: expected,
        offset: record.offset,
      });
      return; // one finding per reader is enough to read
    }
    expected++;
  }
}

function checkOrder(facts: PartitionFacts, anomalies: Anomalies): void {
  const candidates = facts.completeReadBacks.length > 0 ? facts.completeReadBacks : facts.readBacks;
  const reference = candidates.reduce((a, b) =>
    (b.value.records?.length ?? 0) > (a.value.records?.length ?? 0) ? b : a,
  );
  const referenceKeys = (reference.value.records ?? []).map((r) => valueKey(r.value));
  const inReference = new Set(referenceKeys);
  for (const readBack of facts.readBacks) {
    if (readBack === reference) continue;
    const keys = (readBack.value.records ?? []).map((r) => valueKey(r.value));
    const inReader = new Set(keys);
    const mine = keys.filter((k) => inReference.has(k));
    const theirs = referenceKeys.filter((k) => inReader.has(k));
    const at = mine.findIndex((k, i) => k !== theirs[i]);
    if (at < 0) continue;
    anomalies.add({
      kind: 'order',
      partition: partitionKey(reference.value),
      reader: readBack.index,
      reference: reference.index,
      readerValue: mine[at],
      referenceValue: theirs[at],
      sharedPosition: at,
    });
  }
}

function checkNoShrink(
  facts: PartitionFacts,
  startMs: ReadonlyMap<number, number>,
  anomalies: Anomalies,
): void {
  const complete = facts.completeReadBacks;
  const end = (r: ReadBackOperation): number => r.value.records?.at(-1)?.offset ?? -1;
  for (const later of complete) {
    const laterStart = startMs.get(later.index) ?? later.timeMs;
    for (const earlier of complete) {
      if (earlier.timeMs >= laterStart || end(later) >= end(earlier)) continue;
      anomalies.add({
        kind: 'shrunk',
        partition: partitionKey(later.value),
        earlier: { reader: earlier.index, endOffset: end(earlier) },
        later: { reader: later.index, endOffset: end(later) },
      });
      return;
    }
  }
}

/** Completion index → the time its invoke started. */
function invokeTimes(history: History): Map<number, number> {
  const pending = new Map<unknown, number>();
  const starts = new Map<number, number>();
  for (const op of history) {
    if (op.type === 'invoke') pending.set(op.process, op.timeMs);
    else {
      const start = pending.get(op.process);
      if (start !== undefined) starts.set(op.index, start);
      pending.delete(op.process);
    }
  }
  return starts;
}
