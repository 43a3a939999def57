/**
 * Multi-host deployment: every host runs one node from the same cluster file, which
 * lists the cluster's nodes (the first ones are the metadata voters) and the secret.
 *
 *   {
 *     "clusterId": "prod",
 *     "secret": "at least 16 characters, kept private",
 *     "voters": 3,
 *     "nodes": [
 *       { "nodeId": 1, "host": "10.0.0.1", "clientPort": 9092, "peerPort": 9093, "metricsPort": 9094 },
 *       ...
 *     ],
 *     "settings": { "tickMs": 50 }
 *   }
 *
 * Nodes beyond the first `voters` join as brokers through the voters' client listeners.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ClusterFileNode {
  readonly nodeId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
}

export interface ClusterFile {
  readonly clusterId: string;
  readonly secret: string;
  readonly voters: number;
  readonly nodes: readonly ClusterFileNode[];
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
}

export class ClusterFileError extends Error {
  constructor(path: string, problem: string) {
    super(`cluster file ${path}: ${problem}`);
    this.name = 'ClusterFileError';
  }
}

function isPort(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536;
}

export function parseClusterFile(path: string, text: string): ClusterFile {
  let value: Partial<ClusterFile>;
  try {
    value = JSON.parse(text) as Partial<ClusterFile>;
  } catch (error) {
    throw new ClusterFileError(path, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof value.clusterId !== 'string' || value.clusterId === '')
    throw new ClusterFileError(path, 'clusterId missing');
  if (typeof value.secret !== 'string' || value.secret.length < 16)
    throw new ClusterFileError(path, 'secret must have at least 16 characters');
  if (!Array.isArray(value.nodes) || value.nodes.length === 0)
    throw new ClusterFileError(path, 'nodes missing');
  for (const [i, n] of value.nodes.entries()) {
    const ok =
      Number.isInteger(n?.nodeId) &&
      n.nodeId > 0 &&
      typeof n.host === 'string' &&
      n.host !== '' &&
      isPort(n.clientPort) &&
      isPort(n.peerPort) &&
      isPort(n.metricsPort);
    if (!ok)
      throw new ClusterFileError(
        path,
        `nodes[${i}] needs nodeId, host, clientPort, peerPort, metricsPort`,
      );
  }
  const ids = new Set(value.nodes.map((n) => n.nodeId));
  if (ids.size !== value.nodes.length)
    throw new ClusterFileError(path, 'a node id is listed twice');
  const voters = value.voters ?? value.nodes.length;
  if (!Number.isInteger(voters) || voters < 1 || voters > value.nodes.length)
    throw new ClusterFileError(path, 'voters must be between 1 and the node count');
  return {
    clusterId: value.clusterId,
    secret: value.secret,
    voters,
    nodes: value.nodes,
    ...(value.settings ? { settings: value.settings } : {}),
  };
}

/** The node's flags, from the cluster file. */
export function nodeArguments(file: ClusterFile, nodeId: number, dataDir: string): string[] {
  const self = file.nodes.find((n) => n.nodeId === nodeId);
  if (!self) throw new ClusterFileError('(given)', `no node ${nodeId} in it`);
  const voters = file.nodes.slice(0, file.voters);
  const settings: Record<string, string | number | boolean> = {
    nodeId,
    clusterId: file.clusterId,
    clusterSecret: file.secret,
    dataDir,
    clientHost: '0.0.0.0',
    clientPort: self.clientPort,
    peerHost: '0.0.0.0',
    peerPort: self.peerPort,
    metricsHost: '0.0.0.0',
    metricsPort: self.metricsPort,
    advertisedHost: self.host,
    advertisedPeerUrl: `ws://${self.host}:${self.peerPort}`,
    controllerVoters: voters.map((v) => `${v.nodeId}@ws://${v.host}:${v.peerPort}`).join(','),
    ...(voters.some((v) => v.nodeId === nodeId)
      ? {}
      : { joinVia: voters.map((v) => `${v.host}:${v.clientPort}`).join(',') }),
    ...file.settings,
  };
  return Object.entries(settings).flatMap(([key, value]) => [
    `--${key.replace(/([A-Z])/g, '-$1').toLowerCase()}`,
    String(value),
  ]);
}

/** Runs one node in the foreground (for systemd), passing signals through. */
export async function runClusterFileNode(options: {
  nodeId: number;
  clusterFile: string;
  dataDir: string | undefined;
}): Promise<void> {
  let text: string;
  try {
    text = readFileSync(options.clusterFile, 'utf8');
  } catch (error) {
    throw new ClusterFileError(options.clusterFile, `cannot read (${(error as Error).message})`);
  }
  const file = parseClusterFile(options.clusterFile, text);
  const args = nodeArguments(file, options.nodeId, options.dataDir ?? './data');
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--import', tsx, join(root, 'packages/broker/src/main.ts'), ...args],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  await new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      process.exitCode = code ?? 1;
      resolve();
    }),
  );
}
