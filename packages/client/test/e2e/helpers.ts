/**
 * A real three-node cluster (child processes, via @tributary/launch) shared by the
 * client's end-to-end tests, and small helpers to wait for conditions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@tributary/launch';
import { Client, type ClientOptions, silentLogger } from '../../src/index.ts';

export interface TestCluster {
  readonly cluster: LocalCluster;
  readonly bootstrap: string[];
  client(options?: Partial<ClientOptions>): Client;
  close(): Promise<void>;
}

export async function startTestCluster(nodes = 3): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-client-e2e-'));
  const cluster = await LocalCluster.create({ nodes, dataDir, settings: { tickMs: 20 } });
  try {
    await cluster.startAll();
    await cluster.waitHealthy(120_000);
  } catch (error) {
    await cluster.close({ graceful: false });
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    cluster,
    bootstrap: cluster.bootstrap,
    client: (options = {}) =>
      new Client({
        clientId: 'e2e',
        brokers: cluster.bootstrap,
        logger: silentLogger,
        requestTimeoutMs: 10_000,
        retry: { backoffMsInitial: 50, backoffMsMax: 500 },
        ...options,
      }),
    close: async () => {
      await cluster.close({ graceful: false });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` until it holds, failing after `timeoutMs` with `what`. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const text = (bytes: Buffer | null) => bytes?.toString() ?? null;
