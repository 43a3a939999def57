/**
 * metadata-divergence: after creating and deleting topics under faults, every node ends with
 * the same topics (`nodes-disagree`), a topic whose creation was acknowledged and never
 * deleted afterwards exists (`created-missing`), and a topic whose deletion was acknowledged
 * and never re-created afterwards is gone (`deleted-present`). Topics whose last operation
 * was indeterminate may be either. Each node's last `describe-topics` is its final word.
 *
 * Read your writes, during the run: the metadata a client reads right after its create was
 * acknowledged lists the topic (`created-unlisted` otherwise), and right after its delete
 * does not (`deleted-listed`), whichever broker answered.
 */
import type { DescribeTopicsOperation, History } from '../history/operation.ts';
import { pairOperations } from '../history/pairs.ts';
import { Anomalies, type CheckResult } from './check-result.ts';

type Expectation = 'present' | 'absent' | 'either';

export function checkMetadataDivergence(history: History): CheckResult {
  const finals = new Map<string, DescribeTopicsOperation>();
  for (const op of history) {
    if (op.type === 'ok' && op.f === 'describe-topics') finals.set(op.value.node, op);
  }
  const anomalies = new Anomalies('metadata-divergence');
  checkReadBacks(history, anomalies);
  if (finals.size === 0) return anomalies.result();
  const views = [...finals.values()].map((op) => ({
    node: op.value.node,
    topics: new Map((op.value.topics ?? []).map((t) => [t.topic, t.partitions])),
  }));
  const reference = views[0]!;
  for (const view of views.slice(1)) {
    anomalies.checked++;
    const differs = [...new Set([...reference.topics.keys(), ...view.topics.keys()])].filter(
      (topic) => reference.topics.get(topic) !== view.topics.get(topic),
    );
    if (differs.length === 0) continue;
    anomalies.add({ kind: 'nodes-disagree', nodes: [reference.node, view.node], topics: differs });
  }
  for (const [topic, expectation] of expectations(history)) {
    for (const view of views) {
      anomalies.checked++;
      const present = view.topics.has(topic);
      if (expectation === 'present' && !present) {
        anomalies.add({ kind: 'created-missing', topic, node: view.node });
      } else if (expectation === 'absent' && present) {
        anomalies.add({ kind: 'deleted-present', topic, node: view.node });
      }
    }
  }
  return anomalies.result();
}

function checkReadBacks(history: History, anomalies: Anomalies): void {
  for (const op of history) {
    if (op.type !== 'ok' || (op.f !== 'create-topic' && op.f !== 'delete-topic')) continue;
    const { topic, readBack } = op.value;
    if (readBack === undefined) continue;
    anomalies.checked++;
    if (op.f === 'create-topic' && readBack === 'unlisted')
      anomalies.add({ kind: 'created-unlisted', topic, process: op.process });
    else if (op.f === 'delete-topic' && readBack === 'listed')
      anomalies.add({ kind: 'deleted-listed', topic, process: op.process });
  }
}

/**
 * What each topic must be at the end, from its create/delete operations in invoke order. Two
 * operations on one topic that overlap in time may take effect in either order.
 */
function expectations(history: History): Map<string, Expectation> {
  const result = new Map<string, Expectation>();
  const lastEndMs = new Map<string, number>();
  for (const pair of pairOperations(history)) {
    const op = pair.invoke;
    if (op.f !== 'create-topic' && op.f !== 'delete-topic') continue;
    const topic = op.value.topic;
    const overlaps = (lastEndMs.get(topic) ?? -1) > pair.startMs;
    lastEndMs.set(topic, Math.max(lastEndMs.get(topic) ?? -1, pair.endMs));
    if (pair.outcome === 'info' || (overlaps && pair.outcome === 'ok')) {
      result.set(topic, 'either');
    } else if (pair.outcome === 'ok') {
      result.set(topic, op.f === 'create-topic' ? 'present' : 'absent');
    }
    // a definite failure leaves the expectation as it was
  }
  return result;
}
