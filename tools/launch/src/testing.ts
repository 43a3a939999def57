/**
 * What end-to-end tests of every package share (`@tributary/launch/testing`): a real
 * cluster of node processes in a scratch directory, and waiting for a condition with a
 * generous deadline instead of sleeping and hoping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Client, ConsumerMessage } from '@tributary/client';
import { LocalCluster } from './local-cluster.ts';

export interface ScratchClusterOptions {
  readonly nodes?: number;
  /** Names the scratch directory: `<tmpdir>/tributary-<name>-XXXXXX`. */
  readonly name: string;
  /** Extra flags for every node, e.g. { tickMs: 20 }. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** Extra arguments for each node's `node` binary. */
  readonly execArgv?: readonly string[];
  readonly healthyTimeoutMs?: number;
}

export interface ScratchCluster {
  readonly cluster: LocalCluster;
  /** The scratch directory; the nodes keep their data under `<dir>/cluster`. */
  readonly dir: string;
  /** Kills every node and removes the scratch directory (unless `keep`, to look at it). */
  close(options?: { keep?: boolean }): Promise<void>;
}

/**
 * Starts a cluster in a fresh scratch directory and waits until it is healthy. If it never
 * gets there, every node it started is killed and the directory removed before the error
 * reaches the caller, so a failed start leaks nothing.
 */
export async function startScratchCluster(options: ScratchClusterOptions): Promise<ScratchCluster> {
  const dir = mkdtempSync(join(tmpdir(), `tributary-${options.name}-`));
  let cluster: LocalCluster | undefined;
  const close = async (closeOptions: { keep?: boolean } = {}) => {
    await cluster?.close({ graceful: false });
    if (closeOptions.keep !== true) rmSync(dir, { recursive: true, force: true });
  };
  try {
    cluster = await LocalCluster.create({
      nodes: options.nodes ?? 3,
      dataDir: join(dir, 'cluster'),
      settings: options.settings ?? {},
      ...(options.execArgv === undefined ? {} : { execArgv: options.execArgv }),
    });
    await cluster.startAll();
    await cluster.waitHealthy(options.healthyTimeoutMs ?? 180_000);
    return { cluster, dir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Polls `condition` until it holds, failing after `timeoutMs` with `what`. A condition that
 * throws (a request timing out on a loaded machine) counts as not holding yet; the last
 * such error becomes the cause of the timeout.
 */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 180_000,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`, lastError ? { cause: lastError } : {});
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Every record of `topic` from its start up to the end it has when called, read with a
 * group-less consumer of `client`. Fails if the end is not reached in `timeoutMs`.
 */
export async function readTopic(
  client: Client,
  admin: Admin,
  topic: string,
  timeoutMs = 120_000,
): Promise<ConsumerMessage[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const wanted = new Map(offsets.filter((o) => o.high > o.low).map((o) => [o.partition, o.high]));
  const messages: ConsumerMessage[] = [];
  if (wanted.size === 0) return messages;
  const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100 });
  await consumer.connect();
  consumer.assign([{ topic, partitions: [...wanted.keys()] }], { fromBeginning: true });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for await (const m of consumer.messages({ signal: controller.signal, autoCommit: false })) {
      messages.push(m);
      const high = wanted.get(m.partition);
      if (high !== undefined && m.offset >= high - 1n) wanted.delete(m.partition);
      if (wanted.size === 0) break;
    }
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (wanted.size > 0) throw new Error(`could not read ${topic} to its end in ${timeoutMs} ms`);
  return messages;
}
