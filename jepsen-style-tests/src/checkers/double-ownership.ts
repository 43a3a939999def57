/**
 * double-ownership: within one generation of a group, each partition has at most one owner.
 * Two members told they own the same partition in the same generation is a split brain of
 * the group coordinator.
 */
import type { History } from '../history/operation.ts';
import { partitionKey } from '../history/operation.ts';
import { Anomalies, type CheckResult } from './check-result.ts';

export function checkDoubleOwnership(history: History): CheckResult {
  const owners = new Map<string, Set<string>>();
  for (const op of history) {
    if (op.type !== 'ok' || op.f !== 'assign') continue;
    for (const tp of op.value.partitions) {
      const key = `${op.value.group} gen ${op.value.generation} ${partitionKey(tp)}`;
      let members = owners.get(key);
      if (!members) {
        members = new Set();
        owners.set(key, members);
      }
      members.add(op.value.member);
    }
  }
  const anomalies = new Anomalies('double-ownership');
  for (const [key, members] of owners) {
    anomalies.checked++;
    if (members.size > 1) anomalies.add({ assignment: key, members: [...members] });
  }
  return anomalies.result();
}
