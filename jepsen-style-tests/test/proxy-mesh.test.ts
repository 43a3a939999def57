import test from 'ava';
import { bothWays } from '../src/nemesis/network-control.ts';
import { ProxyMesh } from '../src/network/proxy-mesh.ts';
import { waitFor } from '../src/runner/sleep.ts';
import { connectClient, type EchoServer, startEchoServer } from './support/echo.ts';

const deadline = { timeoutMs: 10_000 };
/** How long we watch for bytes that must not arrive (a negative can only be observed over time). */
const quietMs = 300;

async function setup(
  t: { teardown(fn: () => Promise<void> | void): void },
  oneWayMode: 'hold' | 'drop' = 'hold',
) {
  const echo: EchoServer = await startEchoServer();
  const mesh = await ProxyMesh.start({
    nodes: ['a', 'b'],
    targetOf: (node) => (node === 'b' ? { host: '127.0.0.1', port: echo.port } : undefined),
    oneWayMode,
  });
  t.teardown(async () => {
    await mesh.close();
    await echo.close();
  });
  return { echo, mesh, port: mesh.addressFor('a', 'b').port };
}

async function quietly(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, quietMs));
}

test('bytes flow through the proxy both ways when healthy', async (t) => {
  const { echo, port } = await setup(t);
  const client = await connectClient(port);
  t.teardown(() => client.socket.destroy());
  client.socket.write('ping');
  await waitFor(() => client.received() === 'ping', { ...deadline, what: 'the echo' });
  t.is(echo.received(), 'ping');
});

test('a cut both ways resets open connections and refuses new ones until healed', async (t) => {
  const { echo, mesh, port } = await setup(t);
  const open = await connectClient(port);
  open.socket.write('1');
  await waitFor(() => open.received() === '1', { ...deadline, what: 'the first echo' });
  await mesh.cut(bothWays('a', 'b'));
  await waitFor(() => open.closed(), { ...deadline, what: 'the open connection to be reset' });
  t.is(open.error(), 'ECONNRESET');
  const during = await connectClient(port);
  during.socket.write('lost');
  await waitFor(() => during.closed(), { ...deadline, what: 'the new connection to be reset' });
  t.is(during.received(), '');
  t.is(echo.received(), '1');
  t.true(mesh.proxy('a', 'b').stats.refused >= 1);
  await mesh.heal();
  const after = await connectClient(port);
  t.teardown(() => after.socket.destroy());
  after.socket.write('2');
  await waitFor(() => after.received() === '2', { ...deadline, what: 'the echo after the heal' });
  t.is(echo.received(), '12');
});

test('a one-way cut toward the server holds bytes and delivers them at the heal', async (t) => {
  const { echo, mesh, port } = await setup(t);
  const client = await connectClient(port);
  t.teardown(() => client.socket.destroy());
  await mesh.cut([{ from: 'a', to: 'b' }]);
  client.socket.write('held');
  await quietly();
  t.is(echo.received(), '', 'the server must not hear a');
  t.false(client.closed(), 'a one-way cut keeps the connection');
  await mesh.heal();
  await waitFor(() => client.received() === 'held', {
    ...deadline,
    what: 'the held bytes to arrive',
  });
  t.is(echo.received(), 'held');
});

test('a one-way cut toward the client lets the server hear but not answer', async (t) => {
  const { echo, mesh, port } = await setup(t);
  const client = await connectClient(port);
  t.teardown(() => client.socket.destroy());
  await mesh.cut([{ from: 'b', to: 'a' }]);
  client.socket.write('asymmetric');
  await waitFor(() => echo.received() === 'asymmetric', {
    ...deadline,
    what: 'the server to hear',
  });
  await quietly();
  t.is(client.received(), '', 'the answer must be held');
  await mesh.heal();
  await waitFor(() => client.received() === 'asymmetric', { ...deadline, what: 'the held answer' });
});

test('in drop mode a one-way cut loses the bytes and resets the connection at the heal', async (t) => {
  const { echo, mesh, port } = await setup(t, 'drop');
  const client = await connectClient(port);
  await mesh.cut([{ from: 'a', to: 'b' }]);
  client.socket.write('dropped');
  await quietly();
  t.is(echo.received(), '');
  await mesh.heal();
  await waitFor(() => client.closed(), { ...deadline, what: 'the broken stream to be reset' });
  t.is(echo.received(), '');
  const fresh = await connectClient(port);
  t.teardown(() => fresh.socket.destroy());
  fresh.socket.write('fresh');
  await waitFor(() => fresh.received() === 'fresh', {
    ...deadline,
    what: 'a new connection to work',
  });
});

test('a proxy whose target is down refuses the connection', async (t) => {
  const mesh = await ProxyMesh.start({ nodes: ['a', 'b'], targetOf: () => undefined });
  t.teardown(() => mesh.close());
  const client = await connectClient(mesh.addressFor('a', 'b').port);
  await waitFor(() => client.closed(), { ...deadline, what: 'the refusal' });
  t.is(client.received(), '');
  await t.throwsAsync(mesh.cut([{ from: 'a', to: 'zz' }]), { message: /unknown link/ });
});
