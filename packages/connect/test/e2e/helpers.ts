/**
 * For the connect end-to-end tests: a real cluster (node processes via @tributary/launch),
 * connect workers run as child processes through the worker CLI (`src/main.ts`) so they
 * can be SIGKILLed, reading a topic to its end, a tiny REST client, and waiting for
 * conditions with generous deadlines (the machine is shared and loaded).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Admin, Client, type ConsumerMessage, silentLogger } from '@tributary/client';
import type { LocalCluster } from '@tributary/launch';
import { readTopic, startScratchCluster, until as untilHolds } from '@tributary/launch/testing';

const workerMain = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

export interface TestCluster {
  readonly cluster: LocalCluster;
  readonly brokers: string[];
  readonly admin: Admin;
  /** A scratch directory removed by `close`. */
  readonly dir: string;
  client(clientId?: string): Client;
  createTopic(topic: string, partitions: number): Promise<void>;
  produce(
    topic: string,
    messages: { key: string | null; value: string | Buffer | null }[],
  ): Promise<void>;
  /** How many records the topic holds (sum of high watermarks; nothing is deleted here). */
  count(topic: string): Promise<number>;
  /** Every record of a topic up to its current end. */
  readAll(topic: string): Promise<ConsumerMessage[]>;
  close(): Promise<void>;
}

export async function startTestCluster(nodes = 3): Promise<TestCluster> {
  const scratch = await startScratchCluster({
    name: 'connect-e2e',
    nodes,
    settings: { tickMs: 20 },
  });
  const { cluster, dir } = scratch;
  const client = (clientId = 'connect-e2e') =>
    new Client({
      clientId,
      brokers: cluster.bootstrap,
      logger: silentLogger,
      requestTimeoutMs: 15_000,
      retry: { backoffMsInitial: 50, backoffMsMax: 500 },
    });
  const shared = client('connect-e2e-tools');
  const admin = shared.admin();
  await admin.connect();
  const producer = shared.producer();
  await producer.connect();
  return {
    cluster,
    brokers: [...cluster.bootstrap],
    admin,
    dir,
    client,
    async createTopic(topic, partitions) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: Math.min(3, nodes) }],
        waitForLeaders: true,
      });
    },
    async produce(topic, messages) {
      await producer.send({ topic, messages });
    },
    async count(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, o) => sum + Number(o.high - o.low), 0);
    },
    readAll: (topic) => readTopic(client('connect-e2e-reader'), admin, topic),
    async close() {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      // CONNECT_E2E_KEEP=1 keeps the worker logs and databases for a look after a failure.
      const keep = process.env.CONNECT_E2E_KEEP !== undefined;
      await scratch.close({ keep });
      if (keep) console.log(`connect e2e: kept ${dir}`);
    },
  };
}

export { readTopic };

/** Polls `condition` (every 200 ms: each poll may read whole topics) until it holds. */
export const until = (
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 180_000,
): Promise<void> => untilHolds(what, condition, timeoutMs, 200);

/** A connect worker running as a child process of this test. */
export interface WorkerProcess {
  readonly restUrl: string;
  readonly workerId: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGKILL: no graceful stop, nothing stored or committed on the way out. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit (SIGKILL after 60 s). */
  stop(): Promise<void>;
}

const liveWorkers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveWorkers) child.kill('SIGKILL');
});

/**
 * Writes `config` to a file in `dir` and runs the worker CLI on it; resolves once the
 * worker printed its READY line (its stderr log goes to `<dir>/<name>.log`).
 */
export async function spawnWorker(
  dir: string,
  name: string,
  config: Record<string, unknown>,
): Promise<WorkerProcess> {
  const configFile = join(dir, `${name}.json`);
  const logFile = join(dir, `${name}.log`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', tsxLoader, workerMain, configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveWorkers.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      liveWorkers.delete(child);
      log.end();
      resolve();
    }),
  );
  child.stderr?.pipe(log, { end: false });
  const ready = await new Promise<{ rest: string; workerId: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${name} not ready within 180 s; see ${logFile}`));
    }, 180_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('READY '.length)) as { rest: string; workerId: string });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `worker ${name} exited (code ${code}, signal ${signal}) before it was ready: ${tail(logFile)}`,
        ),
      );
    });
  });
  return {
    restUrl: ready.rest,
    workerId: ready.workerId,
    pid: child.pid!,
    logFile,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

export interface RestAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: string | null;
}

/** One REST request; the body is sent as JSON unless it is a string (sent as it is). */
export async function rest(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<RestAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(90_000),
    });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw new Error(`${method} ${baseUrl}${path} failed: ${String(error)} (${String(cause)})`, {
      cause: error,
    });
  }
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    contentType: response.headers.get('content-type'),
  };
}

/** Connector status as the REST API gives it. */
export interface StatusBody {
  readonly name: string;
  readonly connector: { readonly state: string };
  readonly tasks: readonly { id: number; state: string; workerId?: string; error?: string }[];
}

export async function statusOf(baseUrl: string, connector: string): Promise<StatusBody> {
  const answer = await rest(baseUrl, 'GET', `/connectors/${connector}/status`);
  if (answer.status !== 200)
    throw new Error(`status of ${connector}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as StatusBody;
}
