/**
 * Ports for local clusters: distinct, free, and outside the kernel's ephemeral range, so a
 * killed node's ports cannot be taken by some process's outgoing connection while it is
 * down (a restarted node once died with EADDRINUSE in CI).
 */
import { createServer, type Server } from 'node:net';
import test from 'ava';
import { ephemeralPortRange, freePorts } from '../src/ports.ts';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('freePorts returns distinct ports that can be bound', async (t) => {
  const ports = await freePorts(9);
  t.is(ports.length, 9);
  t.is(new Set(ports).size, 9);
  const servers = await Promise.all(ports.map(listen));
  await Promise.all(servers.map(close));
  t.pass();
});

test('freePorts stays out of the ephemeral range that outgoing connections use', async (t) => {
  const ephemeral = ephemeralPortRange();
  if (ephemeral === undefined) {
    t.log('no ip_local_port_range here: port 0 is the fallback');
    t.pass();
    return;
  }
  const ports = await freePorts(30);
  for (const port of ports) {
    t.true(
      port < ephemeral.lowest || port > ephemeral.highest,
      `${port} is in the ephemeral range ${ephemeral.lowest}–${ephemeral.highest}`,
    );
  }
});

test('freePorts never returns a port that is held', async (t) => {
  const held = await Promise.all((await freePorts(12)).map(listen));
  try {
    const heldPorts = new Set(held.map((s) => (s.address() as { port: number }).port));
    for (let round = 0; round < 20; round++) {
      for (const port of await freePorts(6)) t.false(heldPorts.has(port), `${port} is held`);
    }
  } finally {
    await Promise.all(held.map(close));
  }
});
