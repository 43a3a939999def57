import { fileURLToPath } from 'node:url';
import test from 'ava';
import { bothWays } from '../src/nemesis/network-control.ts';
import { runCommandSync } from '../src/network/command.ts';
import { type CutMethod, NetnsNetwork } from '../src/network/netns.ts';
import { typeScriptCommand } from '../src/runner/node-command.ts';
import { spawnWatched, type WatchedChild } from './support/child.ts';

const availability = NetnsNetwork.available();
const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
/** How long we watch for an echo that must not come. */
const quietMs = 500;
const port = '7000'; // inside our own namespace, where nothing else listens

async function quietly(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, quietMs));
}

async function twoNodes(t: { teardown(fn: () => Promise<void>): void }, method: CutMethod) {
  const network = await NetnsNetwork.create({ nodes: ['a', 'b'], method });
  const children: WatchedChild[] = [];
  t.teardown(async () => {
    for (const child of children) await child.stop();
    await network.close();
  });
  const server = spawnWatched(
    network.commandFor(
      'b',
      typeScriptCommand(fixture('line-echo-server.ts'), [network.addressOf('b'), port]),
    ),
  );
  children.push(server);
  await server.waitForLine('listening');
  const client = spawnWatched(
    network.commandFor(
      'a',
      typeScriptCommand(fixture('line-client.ts'), [network.addressOf('b'), port]),
    ),
  );
  children.push(client);
  await client.waitForLine('connected');
  return { network, server, client };
}

const methods: CutMethod[] = ['blackhole', 'iptables'];
for (const method of methods) {
  const usable = availability.ok && (method === 'blackhole' || availability.iptables);
  const reason = availability.ok ? 'iptables is not installed' : availability.reason;
  const title = `netns (${method}): a TCP connection between two namespaces is cut both ways, one way, and healed`;
  if (!usable) {
    test.skip(`${title} [skipped: ${reason}]`, () => {});
    continue;
  }
  test(title, async (t) => {
    const { network, server, client } = await twoNodes(t, method);
    client.send('one');
    await client.waitForLine('echo one');
    await network.cut(bothWays('a', 'b'));
    client.send('two');
    await quietly();
    t.false(server.lines().includes('got two'), 'the server must not hear through the cut');
    t.false(client.lines().includes('echo two'));
    await network.heal();
    // TCP retransmits on its own backoff: allow it time, but wait for the fact, not a clock.
    await client.waitForLine('echo two', 20_000);
    t.deepEqual(network.currentCut(), []);
    // One way: the server hears, its answers do not come back until the heal.
    await network.cut([{ from: 'b', to: 'a' }]);
    t.deepEqual(network.currentCut(), ['b->a']);
    client.send('three');
    await server.waitForLine('got three');
    await quietly();
    t.false(client.lines().includes('echo three'));
    await network.heal();
    await client.waitForLine('echo three', 20_000);
  });
}

if (availability.ok) {
  test('netns: close removes every namespace it created', async (t) => {
    const network = await NetnsNetwork.create({ nodes: ['a', 'b', 'c'] });
    const names = ['a', 'b', 'c'].map((n) => network.namespaceOf(n));
    const listed = () => runCommandSync(['ip', 'netns', 'list']).output;
    for (const name of names) t.true(listed().includes(name));
    t.regex(network.addressOf('c'), /^10\.231\.0\.3$/);
    await network.close();
    for (const name of names) t.false(listed().includes(name));
  });
} else {
  test.skip(`netns: close removes every namespace it created [skipped: ${availability.reason}]`, () => {});
}
