import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

function tempFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
  const path = join(dir, 'node.json');
  writeFileSync(path, content);
  return path;
}

test('runs with no configuration at all', (t) => {
  const config = loadConfig();
  t.is(config.nodeId, 1);
  t.is(config.dataDir, './data');
  t.is(config.advertisedHost, '127.0.0.1');
  t.deepEqual(config.controllerVoters, []);
});

test('precedence: defaults < file < environment < flags', (t) => {
  const file = tempFile(JSON.stringify({ nodeId: 2, clientPort: 1000, tickMs: 20 }));
  const config = loadConfig({
    argv: ['--config', file, '--client-port', '3000'],
    env: { TRIBUTARY_CLIENT_PORT: '2000', TRIBUTARY_TICK_MS: '30' },
  });
  t.is(config.nodeId, 2);
  t.is(config.tickMs, 30);
  t.is(config.clientPort, 3000);
});

test('voters parse from a flag', (t) => {
  const config = loadConfig({
    argv: [
      '--controller-voters=1@ws://127.0.0.1:9001,2@ws://127.0.0.1:9002',
      '--cluster-secret',
      'a-secret-of-16-chars',
    ],
  });
  t.deepEqual(config.controllerVoters, [
    { nodeId: 1, peerUrl: 'ws://127.0.0.1:9001' },
    { nodeId: 2, peerUrl: 'ws://127.0.0.1:9002' },
  ]);
});

const bad: Array<[string, () => unknown, RegExp]> = [
  ['unknown flag', () => loadConfig({ argv: ['--nope', '1'] }), /--nope.*not a known flag/],
  ['flag without value', () => loadConfig({ argv: ['--node-id'] }), /missing its value/],
  ['non-integer', () => loadConfig({ argv: ['--node-id', 'abc'] }), /nodeId.*not an integer/],
  [
    'out of range port',
    () => loadConfig({ env: { TRIBUTARY_CLIENT_PORT: '70000' } }),
    /clientPort.*TRIBUTARY_CLIENT_PORT.*above 65535/,
  ],
  ['bad boolean', () => loadConfig({ argv: ['--fsync', 'maybe'] }), /fsync.*true or false/],
  [
    'missing file',
    () => loadConfig({ argv: ['--config', '/nonexistent/x.json'] }),
    /cannot read file/,
  ],
  ['broken JSON', () => loadConfig({ argv: ['--config', tempFile('{nodeId:')] }), /not valid JSON/],
  [
    'unknown key in file',
    () => loadConfig({ argv: ['--config', tempFile('{"nodeid": 1}')] }),
    /nodeid.*not a known setting/,
  ],
  ['bad voter', () => loadConfig({ argv: ['--controller-voters', '1@http://x'] }), /not id@ws/],
  [
    'duplicate voters',
    () =>
      loadConfig({
        argv: ['--controller-voters', '1@ws://a:1,1@ws://b:2', '--cluster-secret', 'x'.repeat(16)],
      }),
    /twice/,
  ],
  [
    'several voters without secret',
    () => loadConfig({ argv: ['--controller-voters', '1@ws://a:1,2@ws://b:2'] }),
    /clusterSecret/,
  ],
  [
    'heartbeat above election',
    () => loadConfig({ argv: ['--heartbeat-ticks', '30'] }),
    /heartbeatTicks/,
  ],
];

for (const [name, load, message] of bad) {
  test(`bad configuration is a ConfigError: ${name}`, (t) => {
    const error = t.throws(load, { instanceOf: ConfigError });
    t.regex(error?.message ?? '', message);
  });
}
