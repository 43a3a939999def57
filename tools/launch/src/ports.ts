/**
 * Free ports for nodes that must know each other's addresses before they start, and keep
 * them across restarts (a killed node comes back on the same ports, because its peers and
 * the cluster file name them).
 *
 * The ports are picked BELOW the kernel's ephemeral range (`ip_local_port_range`), not with
 * port 0. Port 0 hands out ephemeral ports, the same ones the kernel gives to the local end
 * of every outgoing connection and to every other port-0 listener on the machine: while a
 * killed node is down, any connection of any process may take its port, and the restart
 * then dies with EADDRINUSE (seen in CI: a jepsen run's restarted controller "exited (code
 * 1) before it was ready"). Below the range only an explicit bind can take a port.
 *
 * Each candidate is bound to prove it free (all of them at once, so they are distinct), then
 * released. Another process could still bind one in the moment before the node does; the
 * node then fails to start with EADDRINUSE, a loud error, not a silent mix-up.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** Lowest port handed out: well above the registered services most hosts run. */
const lowestPort = 10_000;
/** Below this many candidate ports, fall back to port 0 (the kernel's choice). */
const smallestUsableRange = 2_000;
const ephemeralRangeFile = '/proc/sys/net/ipv4/ip_local_port_range';

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const range = stablePortRange();
  if (range === undefined) return kernelPorts(count, host);
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    const span = range.highest - range.lowest + 1;
    const start = Math.floor(Math.random() * span);
    for (let step = 0; step < span && ports.length < count; step++) {
      const port = range.lowest + ((start + step) % span);
      const server = await listening(port, host);
      if (server === undefined) continue;
      servers.push(server);
      ports.push(port);
    }
    if (ports.length < count) {
      throw new Error(
        `only ${ports.length} of ${count} free ports in ${range.lowest}–${range.highest}`,
      );
    }
    return ports;
  } finally {
    await closeAll(servers);
  }
}

/**
 * The ports below the ephemeral range, or undefined where that range is unknown (not Linux)
 * or leaves too little room under it.
 */
export function stablePortRange(): { lowest: number; highest: number } | undefined {
  const ephemeral = ephemeralPortRange();
  if (ephemeral === undefined) return undefined;
  const highest = ephemeral.lowest - 1;
  return highest - lowestPort + 1 >= smallestUsableRange
    ? { lowest: lowestPort, highest }
    : undefined;
}

/** The kernel's ephemeral port range, from procfs; undefined when it cannot be read. */
export function ephemeralPortRange(): { lowest: number; highest: number } | undefined {
  let text: string;
  try {
    text = readFileSync(ephemeralRangeFile, 'utf8');
  } catch {
    return undefined;
  }
  const [lowest, highest] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(lowest) || !Number.isInteger(highest)) return undefined;
  return { lowest: lowest as number, highest: highest as number };
}

/** Binds `port`; undefined if it is taken (or not ours to bind). */
function listening(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

/** Port 0 on every listener: distinct ephemeral ports, the fallback off Linux. */
async function kernelPorts(count: number, host: string): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = await listening(0, host);
      if (server === undefined) throw new Error(`cannot listen on ${host}`);
      servers.push(server);
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port assigned');
      return address.port;
    });
  } finally {
    await closeAll(servers);
  }
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}
