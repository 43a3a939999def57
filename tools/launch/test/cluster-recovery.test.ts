import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import test from 'ava';
import { startDrivenCluster } from './driven-cluster.ts';

const tsx = createRequire(import.meta.url).resolve('tsx');
const tool = new URL('../../../packages/broker/src/tools/force-recovery-main.ts', import.meta.url)
  .pathname;
const run = promisify(execFile);

test('records acknowledged with acks=all survive the permanent loss of N-1 replicas, through force recovery', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, {
    name: 'recovery',
    nodes: 3,
  });
  t.is((await driver.createTopic('precious', 1, 3)).error, 0);
  const values = Array.from({ length: 20 }, (_, i) => `r${i}`);
  // Idempotent: under load an answer can come too late and the send is retried.
  const send = await driver.idempotentSender('precious', 0, { acks: 'all' });
  for (const value of values)
    await send([{ key: null, value: Buffer.from(value), timestamp: Date.now() }]);
  // Every node dies; nodes 1 and 2 are lost for good. Node 3 is the survivor.
  for (const n of [1, 2, 3]) await cluster.kill(n);
  const survivor = cluster.node(3);
  const refused = await t.throwsAsync(
    run(process.execPath, [
      '--import',
      tsx,
      tool,
      '--data-dir',
      survivor.dataDir,
      '--node-id',
      '3',
      '--group',
      '999',
    ]),
  );
  t.regex(String((refused as { stderr?: string }).stderr), /no state on this node/);
  for (const target of [['--metadata'], ['--topic', 'precious', '--partition', '0']]) {
    const { stdout } = await run(process.execPath, [
      '--import',
      tsx,
      tool,
      '--data-dir',
      survivor.dataDir,
      '--node-id',
      '3',
      ...target,
    ]);
    t.deepEqual(JSON.parse(stdout).removed, [1, 2]);
  }
  await cluster.start(3);
  driver.setBootstrap([`127.0.0.1:${survivor.clientPort}`]);
  t.deepEqual(
    (await driver.readAll('precious', 0)).map((r) => r.value),
    values,
  );
  await send([{ key: null, value: Buffer.from('after'), timestamp: Date.now() }]);

  t.is((await driver.readAll('precious', 0)).length, 21);
});
