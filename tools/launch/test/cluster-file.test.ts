import test from 'ava';
import { ClusterFileError, nodeArguments, parseClusterFile } from '../src/cluster-file.ts';

const good = {
  clusterId: 'prod',
  secret: 'a-secret-of-enough-length',
  voters: 3,
  nodes: [1, 2, 3, 4].map((nodeId) => ({
    nodeId,
    host: `10.0.0.${nodeId}`,
    clientPort: 9092,
    peerPort: 9093,
    metricsPort: 9094,
  })),
};

test('voters get the voter list; a later node also joins via the voters', (t) => {
  const file = parseClusterFile('c.json', JSON.stringify(good));
  const voter = nodeArguments(file, 2, '/var/lib/tributary');
  const at = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
  t.is(
    at(voter, '--controller-voters'),
    '1@ws://10.0.0.1:9093,2@ws://10.0.0.2:9093,3@ws://10.0.0.3:9093',
  );
  t.is(at(voter, '--advertised-host'), '10.0.0.2');
  t.false(voter.includes('--join-via'));
  const joiner = nodeArguments(file, 4, '/d');
  t.is(at(joiner, '--join-via'), '10.0.0.1:9092,10.0.0.2:9092,10.0.0.3:9092');
});

const bad: Array<[string, unknown, RegExp]> = [
  ['not JSON', '{', /not valid JSON/],
  ['short secret', { ...good, secret: 'short' }, /secret/],
  ['no nodes', { ...good, nodes: [] }, /nodes missing/],
  ['bad port', { ...good, nodes: [{ ...good.nodes[0], peerPort: 70000 }] }, /nodes\[0\]/],
  ['duplicate id', { ...good, nodes: [good.nodes[0], good.nodes[0]] }, /twice/],
  ['too many voters', { ...good, voters: 9 }, /voters/],
];
for (const [name, value, message] of bad) {
  test(`a bad cluster file is refused: ${name}`, (t) => {
    const error = t.throws(
      () => parseClusterFile('c.json', typeof value === 'string' ? value : JSON.stringify(value)),
      { instanceOf: ClusterFileError },
    );
    t.regex(error?.message ?? '', message);
  });
}

test('an unknown node id is refused', (t) => {
  t.throws(() => nodeArguments(parseClusterFile('c.json', JSON.stringify(good)), 9, '/d'), {
    instanceOf: ClusterFileError,
  });
});
