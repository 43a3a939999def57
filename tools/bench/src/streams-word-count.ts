/**
 * Word count through @tributary/streams, end to end on a real cluster: `--records` lines
 * (default 1,000,000, `--words` words each from a vocabulary of `--vocabulary`) are written
 * to an input topic first (not timed); then one Streams instance starts, and the clock runs
 * from `start()` until every word has been counted and committed: lines read, split,
 * repartitioned by word through an internal topic, counted in a changelogged store, and
 * every count update written to the output topic.
 *
 *   npx tsx tools/bench/src/streams-word-count.ts [--records 1000000] [--words 3]
 *     [--vocabulary 10000] [--partitions 6] [--nodes 3] [--bootstrap h:p,...] [--state-dir]
 *     [--commit-interval-ms N] [--verbose]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, consoleLogger } from '@tributary/client';
import { Serdes, Streams, StreamsBuilder } from '@tributary/streams';
import { benchArgs, numberArg } from './args.ts';
import { benchCluster, createTopic } from './client-bench-cluster.ts';

const values = benchArgs({
  records: { type: 'string', default: '1000000' },
  words: { type: 'string', default: '3' },
  vocabulary: { type: 'string', default: '10000' },
  partitions: { type: 'string', default: '6' },
  nodes: { type: 'string', default: '3' },
  bootstrap: { type: 'string' },
  'state-dir': { type: 'boolean', default: false },
  /** Default: the library's (commitIntervalMsDefault). */
  'commit-interval-ms': { type: 'string' },
  verbose: { type: 'boolean', default: false },
});
const records = numberArg(values, 'records');
const wordsPerLine = numberArg(values, 'words');
const vocabulary = numberArg(values, 'vocabulary');
const partitions = numberArg(values, 'partitions');
const run = `wc-${Date.now()}`;

function line(i: number): string {
  const words: string[] = [];
  for (let j = 0; j < wordsPerLine; j++) words.push(`word${(i * 7919 + j * 104_729) % vocabulary}`);
  return words.join(' ');
}

async function fill(
  client: ReturnType<Awaited<ReturnType<typeof benchCluster>>['client']>,
  topic: string,
): Promise<void> {
  const producer = client.producer({ lingerMs: 20, batchBytes: 256 * 1024 });
  await producer.connect();
  const chunk = 10_000;
  const sends: Promise<unknown>[] = [];
  for (let from = 0; from < records; from += chunk) {
    const messages = [];
    for (let i = from; i < Math.min(records, from + chunk); i++)
      messages.push({ key: null, value: line(i) });
    sends.push(producer.send({ topic, messages }));
    if (sends.length >= 8) await sends.shift();
  }
  await Promise.all(sends);
  await producer.disconnect();
}

const started0 = Date.now();

function verboseLogger(t0: number) {
  const at = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  return {
    info: (m: string, e?: Record<string, unknown>) =>
      console.log(at(), 'info', m, JSON.stringify(e ?? {}).slice(0, 300)),
    warn: (m: string, e?: Record<string, unknown>) =>
      console.log(at(), 'warn', m, JSON.stringify(e ?? {}).slice(0, 300)),
    error: (m: string, e?: Record<string, unknown>) =>
      console.log(at(), 'error', m, JSON.stringify(e ?? {}).slice(0, 300)),
  };
}

/**
 * Verbose runs only: the event loop's longest stall and each request kind's slowest answer
 * since the last report (what stalls processing or lets a group session expire).
 */
function watchDiagnostics(client: Client) {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const slowest = new Map<string, number>();
  client.on('request', (event) =>
    slowest.set(event.api, Math.max(slowest.get(event.api) ?? 0, event.durationMs)),
  );
  return {
    take(): string {
      const text = [
        `loop max ${Math.round(loop.max / 1e6)} ms`,
        ...[...slowest].map(([api, ms]) => `${api} ${Math.round(ms)} ms`),
      ].join(', ');
      loop.reset();
      slowest.clear();
      return text;
    },
  };
}

async function main(): Promise<void> {
  const cluster = await benchCluster({
    nodes: numberArg(values, 'nodes'),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
  });
  const stateDir = values['state-dir'] ? mkdtempSync(join(tmpdir(), 'bench-streams-')) : undefined;
  try {
    const tools = cluster.client('bench-tools');
    const replication = Math.min(3, numberArg(values, 'nodes'));
    await createTopic(tools, `${run}-lines`, partitions, replication);
    await createTopic(tools, `${run}-counts`, partitions, replication);
    const filling = Date.now();
    await fill(tools, `${run}-lines`);
    console.log(
      `input: ${records} lines of ${wordsPerLine} words written in ${((Date.now() - filling) / 1000).toFixed(1)} s`,
    );

    const s = Serdes.string();
    const builder = new StreamsBuilder();
    builder
      .stream<string | null, string>(`${run}-lines`, { keySerde: s, valueSerde: s })
      .flatMapValues((text) => text.split(' '))
      .groupBy((_key, word) => word, { keySerde: s, valueSerde: s, name: 'words' })
      .count({ storeName: 'counts' })
      .toStream()
      .to(`${run}-counts`, { keySerde: s, valueSerde: Serdes.number() });
    const client = values.verbose
      ? new Client({ clientId: run, brokers: cluster.bootstrap, logger: consoleLogger('warn') })
      : cluster.client(run);
    const diagnostics = values.verbose ? watchDiagnostics(client) : undefined;
    const streams = new Streams(builder.build(), {
      applicationId: run,
      client,
      ...(values['commit-interval-ms']
        ? { commitIntervalMs: numberArg(values, 'commit-interval-ms') }
        : {}),
      replicationFactor: replication,
      ...(stateDir ? { stateDir } : {}),
      ...(values.verbose ? { logger: verboseLogger(started0) } : {}),
    });
    const expectedWords = records * wordsPerLine;
    const started = Date.now();
    await streams.start();
    let counted = 0;
    streams.onStateChange(
      (state) =>
        values.verbose &&
        console.log(`${((Date.now() - started0) / 1000).toFixed(1)} s state ${state}`),
    );
    while (counted < expectedWords) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (values.verbose)
        console.log(
          `${((Date.now() - started0) / 1000).toFixed(1)} s counted ${counted}`,
          JSON.stringify(streams.metrics),
          diagnostics?.take(),
        );
      if (streams.state === 'error') throw streams.error;
      counted = streams
        .keyValueStore<string, number>('counts')
        .all()
        .reduce((sum, e) => sum + e.value, 0);
    }
    const processedMs = Date.now() - started;
    const before = streams.metrics.commits;
    while (streams.metrics.commits === before)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const committedMs = Date.now() - started;
    await streams.close();
    const seconds = committedMs / 1000;
    console.log(
      `word count: ${records} lines, ${expectedWords} words, ${partitions} partitions, ${values.nodes} nodes, state dir ${stateDir ? 'on' : 'off'}, commit interval ${values['commit-interval-ms'] ?? 'default'} ms`,
    );
    console.log(
      `  all counted after ${(processedMs / 1000).toFixed(1)} s; committed after ${seconds.toFixed(1)} s (from start(), group join included)`,
    );
    console.log(
      `  ${Math.round(records / seconds).toLocaleString('en-US')} lines/s, ${Math.round(expectedWords / seconds).toLocaleString('en-US')} words/s end to end`,
    );
    console.log(
      `  records processed by tasks (lines + repartitioned words): ${streams.metrics.recordsProcessed}`,
    );
  } finally {
    await cluster.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
