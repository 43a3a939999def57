import test from 'ava';
import type { ClusterView } from '../src/health/cluster-view.ts';
import { evaluateHealth, isHealthy } from '../src/health/evaluate.ts';

const view: ClusterView = {
  clusterId: 'c',
  controllerId: 1,
  partitions: { total: 6, offline: 0, underReplicated: 0 },
  brokers: [
    {
      nodeId: 1,
      host: '127.0.0.1',
      port: 9001,
      alive: true,
      lastHeartbeatAgeMs: 5,
      controllerVoter: true,
    },
    {
      nodeId: 2,
      host: '127.0.0.1',
      port: 9002,
      alive: true,
      lastHeartbeatAgeMs: 5,
      controllerVoter: true,
    },
  ],
};

const probes = [
  { address: '127.0.0.1:9001', partitions: 6, leaderless: 0 },
  { address: '127.0.0.1:9002', partitions: 6, leaderless: 0 },
];

test('healthy: controller with a leader, brokers answering, no partition problems', (t) => {
  const checks = evaluateHealth({ view }, probes);
  t.true(isHealthy(checks));
  t.deepEqual(
    checks.map((c) => c.name),
    ['controller', 'partitions', 'broker 1 (127.0.0.1:9001)', 'broker 2 (127.0.0.1:9002)'],
  );
});

test('each problem alone makes the cluster unhealthy and is named', (t) => {
  const cases = [
    { answer: { error: 'timed out' }, probes, failing: 'controller' },
    { answer: { view: { ...view, controllerId: -1 } }, probes, failing: 'controller' },
    {
      answer: { view: { ...view, partitions: { total: 6, offline: 1, underReplicated: 0 } } },
      probes,
      failing: 'partitions',
    },
    {
      answer: { view: { ...view, partitions: { total: 6, offline: 0, underReplicated: 2 } } },
      probes,
      failing: 'partitions',
    },
    {
      answer: { view },
      probes: [probes[0]!, { address: '127.0.0.1:9002', error: 'ECONNREFUSED' }],
      failing: 'broker 2 (127.0.0.1:9002)',
    },
    {
      answer: { view },
      probes: [probes[0]!, { address: '127.0.0.1:9002', partitions: 6, leaderless: 2 }],
      failing: 'broker 2 (127.0.0.1:9002)',
    },
    {
      answer: {
        view: {
          ...view,
          brokers: [
            view.brokers[0]!,
            { ...view.brokers[1]!, alive: false, lastHeartbeatAgeMs: 9000 },
          ],
        },
      },
      probes,
      failing: 'broker 2 (127.0.0.1:9002)',
    },
  ];
  for (const [i, c] of cases.entries()) {
    const checks = evaluateHealth(c.answer, c.probes);
    t.false(isHealthy(checks), `case ${i}`);
    t.deepEqual(
      checks.filter((x) => !x.ok).map((x) => x.name),
      [c.failing],
      `case ${i}`,
    );
  }
});

test('a broker only the bootstrap list names is probed under its address', (t) => {
  const checks = evaluateHealth({ error: 'no controller' }, [{ address: 'h:1', error: 'refused' }]);
  t.deepEqual(
    checks.map((c) => c.name),
    ['controller', 'broker h:1'],
  );
  t.false(isHealthy([]), 'no checks is not healthy');
});
