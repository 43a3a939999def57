import type { GroupDescription } from '@tributary/client';
import test from 'ava';
import { renderHealth } from '../src/commands/cluster-health.ts';
import { renderClusterStatus } from '../src/commands/cluster-status.ts';
import { renderGroupDescription, totalLag } from '../src/commands/group-describe.ts';
import { renderOffsetMoves } from '../src/commands/group-seek.ts';
import { renderTopicDescription } from '../src/commands/topic-describe.ts';
import { isInternalTopic, renderTopicList } from '../src/commands/topic-list.ts';
import { toJsonLine } from '../src/format/json.ts';
import { renderFields, renderTable } from '../src/format/table.ts';
import { colourWanted, createStyle, visibleLength } from '../src/style.ts';

test('tables pad columns, right-align numbers, and leave the last column unpadded', (t) => {
  const text = renderTable(
    [{ header: 'NAME' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
    [
      ['a', '1', 'x'],
      ['long-name', '100', ''],
    ],
  );
  t.is(text, 'NAME         N  NOTE\na            1  x\nlong-name  100  \n');
});

test('table widths ignore colour codes', (t) => {
  const style = createStyle(true);
  const text = renderTable([{ header: 'A' }, { header: 'B' }], [[style.red('xy'), 'z']], style);
  const lines = text.split('\n');
  t.is(visibleLength(lines[0] ?? ''), 'A   B'.length);
  t.is(visibleLength(lines[1] ?? ''), 'xy  z'.length);
  t.throws(() => renderTable([{ header: 'A' }], [['1', '2']]), { message: /2 cells for 1/ });
});

test('fields align their values', (t) => {
  t.is(
    renderFields([
      ['a', '1'],
      ['long', '2'],
    ]),
    'a:    1\nlong: 2\n',
  );
});

test('colour only on a terminal without NO_COLOR or a dumb TERM', (t) => {
  t.true(colourWanted({ isTTY: true }, {}));
  t.true(colourWanted({ isTTY: true }, { NO_COLOR: '' }), 'an empty NO_COLOR does not count');
  t.false(colourWanted({ isTTY: true }, { NO_COLOR: '1' }));
  t.false(colourWanted({ isTTY: true }, { TERM: 'dumb' }));
  t.false(colourWanted({ isTTY: false }, {}));
  t.false(colourWanted({}, {}));
  t.is(createStyle(false).red('x'), 'x');
  t.not(createStyle(true).red('x'), 'x');
});

test('JSON lines print offsets as numbers', (t) => {
  t.is(toJsonLine({ offset: 5n, huge: 2n ** 60n }), '{"offset":5,"huge":"1152921504606846976"}\n');
});

test('topic list and internal topics', (t) => {
  t.true(isInternalTopic('__consumer_offsets'));
  t.false(isInternalTopic('orders'));
  t.is(
    renderTopicList([{ name: 'orders', partitions: 3, replicationFactor: 3 }]),
    'NAME    PARTITIONS  REPLICAS\norders           3         3\n',
  );
});

test('topic description shows summary, configs and a row per partition', (t) => {
  const text = renderTopicDescription({
    name: 'orders',
    replicationFactor: 3,
    configs: [{ name: 'retention.ms', value: '1000', isDefault: false }],
    partitions: [
      {
        partition: 0,
        leader: -1,
        leaderEpoch: 4,
        replicas: [1, 2, 3],
        learners: [],
        logStartOffset: 0n,
        highWatermark: 12n,
      },
    ],
  });
  t.regex(text, /^name: +orders$/m);
  t.regex(text, /^retention\.ms +1000 +topic$/m);
  t.regex(text, /^ +0 +none +4 +1,2,3 +- +0 +12$/m);
});

const group: GroupDescription = {
  groupId: 'billing',
  state: 'Stable',
  protocolType: 'consumer',
  protocol: 'cooperative-sticky',
  generationId: 3,
  members: [
    {
      memberId: 'm-1',
      groupInstanceId: null,
      clientId: 'tributary-cli',
      clientHost: '/127.0.0.1',
      subscription: ['orders'],
      assignment: [],
    },
  ],
  offsets: [
    {
      topic: 'orders',
      partition: 1,
      committedOffset: -1n,
      logEndOffset: 4n,
      lag: 4n,
      memberId: null,
    },
    {
      topic: 'orders',
      partition: 0,
      committedOffset: 7n,
      logEndOffset: 10n,
      lag: 3n,
      memberId: 'm-1',
    },
  ],
};

test('group description: summary with total lag, rows sorted, owner and host shown', (t) => {
  t.is(totalLag(group), 7n);
  const text = renderGroupDescription(group);
  t.regex(text, /^total lag: +7$/m);
  const rows = text.split('\n').filter((line) => line.startsWith('orders'));
  t.regex(rows[0] ?? '', /^orders +0 +7 +10 +3 +m-1 +tributary-cli +\/127\.0\.0\.1$/);
  t.regex(rows[1] ?? '', /^orders +1 +- +4 +4 +- +- +-$/);
});

test('group seek prints previous and new offsets', (t) => {
  const text = renderOffsetMoves('orders', [
    { partition: 0, previous: -1n, offset: 0n },
    { partition: 1, previous: 9n, offset: 4n },
  ]);
  t.regex(text, /^orders +0 +- +0$/m);
  t.regex(text, /^orders +1 +9 +4$/m);
});

test('cluster status shows the controller, counts and a row per broker', (t) => {
  const text = renderClusterStatus({
    clusterId: 'c1',
    controllerId: 2,
    topics: 4,
    partitions: { total: 9, offline: 1, underReplicated: 2 },
    brokers: [
      {
        nodeId: 2,
        host: 'h2',
        port: 9,
        alive: true,
        lastHeartbeatAgeMs: 10,
        controllerVoter: true,
      },
      {
        nodeId: 1,
        host: 'h1',
        port: 9,
        alive: false,
        lastHeartbeatAgeMs: 9000,
        controllerVoter: false,
      },
    ],
  });
  t.regex(text, /^brokers: +1 alive of 2$/m);
  t.regex(text, /^partitions: +9 total, 1 offline, 2 under-replicated$/m);
  t.regex(text, /^ 1 +h1:9 +dead +9000ms ago +broker$/m);
  t.regex(text, /^ 2 +h2:9 +alive +10ms ago +controller, voter$/m);
});

test('health lines say ok or FAIL and end with the verdict', (t) => {
  const text = renderHealth([
    { name: 'controller', ok: true, detail: 'node 1' },
    { name: 'broker 2', ok: false, detail: 'unreachable' },
  ]);
  t.is(
    text,
    'ok    controller  node 1\nFAIL  broker 2    unreachable\nunhealthy: 1 failed check\n',
  );
  t.regex(renderHealth([{ name: 'x', ok: true, detail: '' }]), /\nhealthy\n$/);
});
