/** Runs the harness end to end against the toy log server behind real proxies. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultKind } from '../../src/nemesis/fault-kinds.ts';
import { ProxyMesh } from '../../src/network/proxy-mesh.ts';
import { type RunResult, runJepsen } from '../../src/runner/run-jepsen.ts';
import { logWorkload } from '../../src/workloads/log-workload.ts';
import { ToyCluster } from '../toy/toy-cluster.ts';

export const toyClientModule = fileURLToPath(new URL('../toy/toy-client.ts', import.meta.url));

export interface ToyRunOptions {
  readonly seed: number;
  readonly timeSeconds: number;
  readonly nemesis: readonly FaultKind[];
  readonly bug?: 'lose-tail';
  readonly keepFiles?: boolean;
  readonly log?: (line: string) => void;
}

export async function toyRun(
  t: { teardown(fn: () => Promise<void> | void): void },
  options: ToyRunOptions,
): Promise<RunResult & { readonly cluster: ToyCluster }> {
  const base = mkdtempSync(join(tmpdir(), 'jepsen-toy-'));
  let mesh: ProxyMesh | undefined;
  const cluster = new ToyCluster({
    size: 3,
    baseDir: join(base, 'data'),
    partitions: 2,
    ...(options.bug ? { bug: options.bug } : {}),
    peerAddressFor: (from, to) => mesh!.addressFor(from, to),
  });
  mesh = await ProxyMesh.start({
    nodes: ['n1', 'n2', 'n3'],
    targetOf: (id) => cluster.peerAddress(id),
  });
  const network = mesh;
  t.teardown(async () => {
    await cluster.stopAll();
    await network.close();
    if (!options.keepFiles) rmSync(base, { recursive: true, force: true });
  });
  const workload = logWorkload({
    clientModule: toyClientModule,
    topic: 'toy',
    partitions: 2,
    clientCount: 3,
    readers: 2,
  });
  const result = await runJepsen({
    seed: options.seed,
    timeSeconds: options.timeSeconds,
    nemesis: options.nemesis,
    workload,
    cluster,
    network,
    resultsRoot: join(base, 'results'),
    operationTimeoutMs: 1000,
    recoveryTimeoutMs: 20_000,
    faultMsMin: 800,
    faultMsMax: 1500,
    quietMsMin: 400,
    quietMsMax: 800,
    ...(options.log ? { log: options.log } : {}),
  });
  return { ...result, cluster };
}
