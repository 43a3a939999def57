/**
 * committed-undelivered: a group committed offset c on a partition, so it claims to have
 * processed every record below c; each record known to exist below c must have been
 * delivered to some member of that group at least once.
 */
import type { History } from '../history/operation.ts';
import { partitionKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';
import { analyzeLog } from './log-analysis.ts';

export function checkCommittedUndelivered(history: History): CheckResult {
  const { partitions } = analyzeLog(history);
  const committed = new Map<string, { group: string; partition: string; offset: number }>();
  const delivered = new Set<string>();
  for (const op of history) {
    if (op.type !== 'ok') continue;
    if (op.f === 'commit') {
      const offset = op.value.offset;
      if (offset === undefined) continue;
      const partition = partitionKey(op.value);
      const key = `${op.value.group} ${partition}`;
      const previous = committed.get(key);
      if (!previous || offset > previous.offset) {
        committed.set(key, { group: op.value.group, partition, offset });
      }
    } else if (op.f === 'poll' && op.value.group !== undefined) {
      for (const r of op.value.records ?? []) {
        delivered.add(`${op.value.group} ${partitionKey(r)}@${r.offset}`);
      }
    }
  }
  const anomalies = new Anomalies('committed-undelivered');
  for (const { group, partition, offset } of committed.values()) {
    const known = partitions.get(partition)?.knownOffsets ?? new Set<number>();
    for (const existing of known) {
      if (existing >= offset) continue;
      anomalies.checked++;
      if (delivered.has(`${group} ${partition}@${existing}`)) continue;
      anomalies.add({ group, partition, offset: existing, committedOffset: offset });
    }
  }
  return anomalies.result();
}
