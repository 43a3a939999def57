/**
 * The configuration of a node process, from its command line and environment:
 *
 *   node --import tsx packages/raft/test-support/node-process.ts \
 *     --node-id 1 --dir /tmp/n1 --voters 1,2,3 --groups 100 \
 *     [--peers 2=ws://127.0.0.1:7002,3=ws://127.0.0.1:7003] [--peer-host 127.0.0.1]
 *     [--peer-port 0] [--tick-ms 50] [--election-ticks 20] [--heartbeat-ticks 2]
 *     [--applied-log on|off] [--frame-bytes-max 33554432] [--proposal-timeout-ms 30000]
 *     [--seed n]
 *   with TRIBUTARY_CLUSTER_SECRET in the environment (never on the command line, which
 *   other users of the machine can read).
 *
 * Groups are numbered 1 to `groups`; each starts with `voters` as its membership.
 */
import { parseArgs } from 'node:util';
import { secretBytesMin } from '../src/transport/limits.ts';
import { NodeProcessError } from './errors.ts';

export const clusterSecretVariable = 'TRIBUTARY_CLUSTER_SECRET';
export const groupsMax = 100_000;
const idRange = { min: 1, max: 2 ** 31 };

export interface NodeProcessConfig {
  readonly nodeId: number;
  readonly dir: string;
  readonly voters: readonly number[];
  readonly groups: number;
  readonly peers: ReadonlyMap<number, string>;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly secret: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Record applied entries in `<dir>/applied.log` (tests); off for benchmarks. */
  readonly appliedLog: boolean;
  readonly frameBytesMax: number | undefined;
  /** The WAL's entry cache bound (RaftWal `cacheBytes`); undefined: its default. */
  readonly walCacheBytes: number | undefined;
  readonly proposalTimeoutMs: number;
  readonly seed: number;
}

function bad(message: string): NodeProcessError {
  return new NodeProcessError('BAD_ARGUMENT', message);
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number | undefined,
  range: { min: number; max: number },
): number {
  if (text === undefined) {
    if (fallback === undefined) throw bad(`--${name} is required`);
    return fallback;
  }
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value))
    throw bad(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  if (value < range.min || value > range.max)
    throw bad(`--${name} must be between ${range.min} and ${range.max}, got ${value}`);
  return value;
}

function nodeIds(name: string, text: string): number[] {
  const ids = text.split(',').map((part) => integer(name, part.trim(), undefined, idRange));
  if (new Set(ids).size !== ids.length) throw bad(`--${name} lists a node twice`);
  return ids;
}

/** `2=ws://host:port,3=ws://host:port` */
export function parsePeers(text: string | undefined, self: number): Map<number, string> {
  const peers = new Map<number, string>();
  if (text === undefined || text === '') return peers;
  for (const part of text.split(',')) {
    const [idText, url] = part.split('=', 2);
    const id = integer('peers', idText, undefined, idRange);
    if (url === undefined || !url.startsWith('ws://')) throw bad(`--peers: bad url for ${id}`);
    if (id === self) throw bad('--peers must not list this node');
    peers.set(id, url);
  }
  return peers;
}

export function parseNodeConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): NodeProcessConfig {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: Object.fromEntries(
        [
          'node-id',
          'dir',
          'voters',
          'groups',
          'peers',
          'peer-host',
          'peer-port',
          'tick-ms',
          'election-ticks',
          'heartbeat-ticks',
          'applied-log',
          'frame-bytes-max',
          'wal-cache-bytes',
          'proposal-timeout-ms',
          'seed',
        ].map((name) => [name, { type: 'string' as const }]),
      ),
    }).values as Record<string, string | undefined>;
  } catch (cause) {
    throw new NodeProcessError('BAD_ARGUMENT', (cause as Error).message, { cause });
  }
  const nodeId = integer('node-id', values['node-id'], undefined, idRange);
  const dir = values.dir;
  if (dir === undefined || dir === '') throw bad('--dir is required');
  if (values.voters === undefined) throw bad('--voters is required');
  const secret = env[clusterSecretVariable] ?? '';
  if (Buffer.byteLength(secret) < secretBytesMin)
    throw bad(`${clusterSecretVariable} must hold a secret of at least ${secretBytesMin} bytes`);
  const appliedLog = values['applied-log'] ?? 'on';
  if (appliedLog !== 'on' && appliedLog !== 'off') throw bad('--applied-log is on or off');
  const frameBytesMax = values['frame-bytes-max'];
  const walCacheBytes = values['wal-cache-bytes'];
  return {
    nodeId,
    dir,
    voters: nodeIds('voters', values.voters),
    groups: integer('groups', values.groups, 1, { min: 1, max: groupsMax }),
    peers: parsePeers(values.peers, nodeId),
    peerHost: values['peer-host'] ?? '127.0.0.1',
    peerPort: integer('peer-port', values['peer-port'], 0, { min: 0, max: 65_535 }),
    secret,
    tickMs: integer('tick-ms', values['tick-ms'], 50, { min: 1, max: 10_000 }),
    electionTicks: integer('election-ticks', values['election-ticks'], 20, { min: 2, max: 10_000 }),
    heartbeatTicks: integer('heartbeat-ticks', values['heartbeat-ticks'], 2, {
      min: 1,
      max: 10_000,
    }),
    appliedLog: appliedLog === 'on',
    frameBytesMax:
      frameBytesMax === undefined
        ? undefined
        : integer('frame-bytes-max', frameBytesMax, undefined, { min: 4096, max: 2 ** 30 }),
    walCacheBytes:
      walCacheBytes === undefined
        ? undefined
        : integer('wal-cache-bytes', walCacheBytes, undefined, { min: 0, max: 2 ** 40 }),
    proposalTimeoutMs: integer('proposal-timeout-ms', values['proposal-timeout-ms'], 30_000, {
      min: 1,
      max: 3_600_000,
    }),
    seed: integer('seed', values.seed, Math.floor(Math.random() * 2 ** 31), {
      min: 0,
      max: 2 ** 31,
    }),
  };
}
