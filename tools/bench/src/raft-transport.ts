/**
 * Benchmark of the authenticated WebSocket peer transport (packages/raft/src/transport)
 * between two processes over loopback: node 1 (this process) sends Append messages of
 * 100 groups as fast as its bounded queue allows; node 2 (a child process) validates every
 * message with the core's validateMessage and counts. Rates are measured at the receiver
 * over the run minus the first second.
 *
 *   npx tsx tools/bench/src/raft-transport.ts [--seconds 4] [--repeat 3] [--row 4x1024]
 *
 * Each row is the median (by messages/s) of `repeat` runs, each with a fresh receiver.
 */

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Message, MessageType, PeerTransport, validateMessage } from '@tributary/raft';
import { benchArgs, numberArg } from './args.ts';

const values = benchArgs({
  role: { type: 'string', default: 'sender' },
  seconds: { type: 'string', default: '4' },
  repeat: { type: 'string', default: '3' },
  /** Run one row only: entries per message and entry size, e.g. --row 4x1024. */
  row: { type: 'string' },
});
const secret = 'benchmark cluster secret, not for production';
const groups = 100;
const queueTargetMessages = 4_000;
const queueTargetBytes = 16 * 1024 * 1024;

interface Progress {
  readonly t: number;
  readonly messages: number;
  readonly entries: number;
  readonly payloadBytes: number;
  readonly wireBytes: number;
}

async function receiver(): Promise<void> {
  let messages = 0;
  let entries = 0;
  let payloadBytes = 0;
  const transport = await PeerTransport.start({
    nodeId: 2,
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map(),
    secret,
    validate: validateMessage,
    onMessages: (_from, received) => {
      messages += received.length;
      for (const message of received) {
        if (message.type !== MessageType.Append) continue;
        entries += message.entries.length;
        for (const entry of message.entries) payloadBytes += entry.data.byteLength;
      }
    },
  });
  console.log(JSON.stringify({ port: transport.port }));
  // Exit cleanly when the sender is done (so --cpu-prof can write its profile).
  process.on('SIGINT', () => process.exit(0));
  setInterval(() => {
    const wireBytes = transport.stats().peers.get(1)?.bytesReceived ?? 0;
    const progress: Progress = { t: performance.now(), messages, entries, payloadBytes, wireBytes };
    console.log(JSON.stringify(progress));
  }, 250);
}

function appendFor(group: number, index: number, entryCount: number, payload: Uint8Array): Message {
  const entries = [];
  for (let i = 0; i < entryCount; i++)
    entries.push({ index: index + i, term: 1, type: 0 as const, data: payload });
  return {
    type: MessageType.Append,
    group,
    from: 1,
    to: 2,
    term: 1,
    prevLogIndex: index - 1,
    prevLogTerm: index > 1 ? 1 : 0,
    commit: 0,
    entries,
  };
}

async function measure(
  port: number,
  lines: AsyncIterator<string>,
  entryCount: number,
  entrySize: number,
) {
  const transport = await PeerTransport.start({
    nodeId: 1,
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map([[2, `ws://127.0.0.1:${port}`]]),
    secret,
    validate: validateMessage,
    onMessages: () => {},
  });
  const payload = new Uint8Array(entrySize).fill(0x5a);
  const next = new Array<number>(groups).fill(1);
  const deadline = performance.now() + numberArg(values, 'seconds') * 1000;
  const samples: Progress[] = [];
  const reader = (async () => {
    while (performance.now() < deadline + 300) {
      const line = await lines.next();
      if (line.done === true) break;
      samples.push(JSON.parse(line.value) as Progress);
    }
  })();
  while (performance.now() < deadline) {
    const peer = transport.stats().peers.get(2);
    if (
      (peer?.queueMessages ?? 0) < queueTargetMessages &&
      (peer?.queueBytes ?? 0) < queueTargetBytes
    ) {
      const batch: Message[] = [];
      for (let group = 0; group < groups; group++) {
        batch.push(appendFor(group, next[group] as number, entryCount, payload));
        next[group] = (next[group] as number) + entryCount;
      }
      transport.send(batch);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await reader;
  const dropped = transport.stats().peers.get(2)?.droppedQueueFull ?? 0;
  await transport.close();
  return rates(samples, dropped);
}

function rates(samples: Progress[], dropped: number) {
  const steady = samples.filter((s) => s.t - (samples[0]?.t ?? 0) >= 1000);
  const first = steady[0];
  const last = steady.at(-1);
  if (first === undefined || last === undefined || last === first)
    throw new Error('too few samples');
  const seconds = (last.t - first.t) / 1000;
  return {
    messagesPerSecond: (last.messages - first.messages) / seconds,
    entriesPerSecond: (last.entries - first.entries) / seconds,
    payloadMegabytesPerSecond: (last.payloadBytes - first.payloadBytes) / seconds / 1e6,
    wireMegabytesPerSecond: (last.wireBytes - first.wireBytes) / seconds / 1e6,
    dropped,
  };
}

async function runOnce(entryCount: number, entrySize: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--role', 'receiver'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const hello = await lines.next();
  const { port } = JSON.parse(hello.value as string) as { port: number };
  try {
    return await measure(port, lines, entryCount, entrySize);
  } finally {
    child.kill('SIGINT');
  }
}

async function sender(): Promise<void> {
  const round = (value: number, digits = 0) => Number(value.toFixed(digits));
  console.log(
    `two processes over loopback, 100 groups, median of ${values.repeat} runs of ${values.seconds} s`,
  );
  console.log(
    '| entries/msg | entry B | messages/s | entries/s | payload MB/s | wire MB/s | dropped |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const allRows = [
    [0, 0],
    [1, 100],
    [10, 100],
    [4, 1024],
    [16, 4096],
  ] as const;
  const rows =
    values.row === undefined ? allRows : [values.row.split('x').map(Number) as [number, number]];
  for (const [entryCount, entrySize] of rows) {
    const runs = [];
    for (let i = 0; i < numberArg(values, 'repeat'); i++)
      runs.push(await runOnce(entryCount, entrySize));
    runs.sort((a, b) => a.messagesPerSecond - b.messagesPerSecond);
    const r = runs[Math.floor(runs.length / 2)] as (typeof runs)[number];
    const cells = [
      entryCount,
      entrySize,
      round(r.messagesPerSecond),
      round(r.entriesPerSecond),
      round(r.payloadMegabytesPerSecond, 1),
      round(r.wireMegabytesPerSecond, 1),
      r.dropped,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

if (values.role === 'receiver') await receiver();
else await sender();
