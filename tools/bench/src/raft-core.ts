/**
 * Raft core throughput: committed entries per second for a 3-node group in one process,
 * in-memory delivery and MemoryLog (no disk, no network), 100-byte entries, proposals
 * batched. It measures the pure state machine's cost per entry: the ceiling the
 * production host (disk, WebSocket) works under.
 *
 *   npx tsx tools/bench/src/raft-core.ts [--entries 5000000] [--batch 1024] [--runs 3]
 *
 * Back of the envelope: an entry costs the core a few object allocations and array pushes
 * on each node (propose, unstable log, Ready, MemoryLog, applied), ~0.3 µs in total, so
 * one core should pass 1,000,000 entries/s with batches of 1,000.
 */

import {
  MemoryLog,
  type MemoryLogOptions,
  type Message,
  RawNode,
  Role,
  SeededPrng,
} from '@tributary/raft';
import { benchArgs, numberArg } from './args.ts';

interface BenchOptions {
  entries: number;
  batch: number;
  runs: number;
  entryBytes: number;
}

function parse(): BenchOptions {
  const values = benchArgs({
    entries: { type: 'string', default: '5000000' },
    batch: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    entryBytes: { type: 'string', default: '100' },
  });
  return {
    entries: numberArg(values, 'entries'),
    batch: numberArg(values, 'batch'),
    runs: numberArg(values, 'runs'),
    entryBytes: numberArg(values, 'entryBytes'),
  };
}

interface BenchNode {
  readonly raw: RawNode;
  readonly log: MemoryLog;
  applied: number;
}

// The bench host compacts often, as a broker would keep only a short tail of applied entries.
const compactEveryEntries = 65_536;
const silent = { warn: () => {} };

function makeGroup(): BenchNode[] {
  const config: MemoryLogOptions['config'] = {
    voters: [1, 2, 3],
    outgoingVoters: [],
    learners: [],
  };
  return [1, 2, 3].map((id) => {
    const log = new MemoryLog({ config });
    const raw = new RawNode({
      id,
      group: 1,
      log,
      prng: new SeededPrng(id),
      logger: silent,
      electionTicks: 10,
      heartbeatTicks: 1,
      preVote: true,
      checkQuorum: true,
      inflightAppendsMax: 64,
      inflightBytesMax: 64 * 1024 * 1024,
      appendBytesMax: 1024 * 1024,
      uncommittedBytesMax: 32 * 1024 * 1024,
    });
    return { raw, log, applied: 0 };
  });
}

/** One Ready cycle per node that has one; returns the messages to deliver. */
function processAll(nodes: BenchNode[]): Message[] {
  const out: Message[] = [];
  for (const node of nodes) {
    while (node.raw.hasReady()) {
      const ready = node.raw.ready();
      node.log.persist(ready);
      for (const m of ready.messages) out.push(m);
      for (const m of ready.messagesAfterPersist) out.push(m);
      node.applied += ready.committedEntries.length;
      node.raw.advance();
    }
  }
  return out;
}

function deliver(nodes: BenchNode[], messages: readonly Message[]): void {
  for (const m of messages) nodes[m.to - 1]?.raw.step(m);
}

function elect(nodes: BenchNode[]): BenchNode {
  const first = nodes[0] as BenchNode;
  for (let i = 0; i < 100 && first.raw.status().role !== Role.Leader; i++) {
    first.raw.tick();
    for (let round = 0; round < 10; round++) deliver(nodes, processAll(nodes));
  }
  if (first.raw.status().role !== Role.Leader) throw new Error('bench: no leader');
  return first;
}

function compact(nodes: BenchNode[]): void {
  for (const node of nodes) {
    const index = node.raw.status().applied;
    if (index - (node.log.firstIndex() - 1) < compactEveryEntries) continue;
    const snapshot = node.raw.compact(index, new Uint8Array(0));
    if (!(snapshot instanceof Error)) node.log.compact(snapshot);
  }
}

interface Rates {
  /** Committed entries per second of wall-clock time. */
  readonly wall: number;
  /** Per second of this process's CPU time: what the figure would be on an idle core. */
  readonly cpu: number;
}

function runOnce(options: BenchOptions): Rates {
  const nodes = makeGroup();
  const leader = elect(nodes);
  const payload = new Uint8Array(options.batch * options.entryBytes);
  const batch = Array.from({ length: options.batch }, (_, i) =>
    payload.subarray(i * options.entryBytes, (i + 1) * options.entryBytes),
  );
  const start = leader.applied;
  const target = start + options.entries;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let rounds = 0;
  while (leader.applied < target) {
    leader.raw.propose(batch); // refused (and retried next round) when the window is full
    deliver(nodes, processAll(nodes));
    if (++rounds % 256 === 0) compact(nodes);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const committed = leader.applied - start;
  for (let round = 0; round < 100; round++) deliver(nodes, processAll(nodes));
  const applied = nodes.map((n) => n.applied);
  if (applied.some((a) => a !== applied[0])) throw new Error(`bench: replicas disagree ${applied}`);
  return { wall: committed / seconds, cpu: committed / cpuSeconds };
}

function main(): void {
  const options = parse();
  console.log(
    `raft-core: 3 nodes in one process, ${options.entryBytes}-byte entries, batches of ${options.batch}, ` +
      `${options.entries.toLocaleString('en')} entries per run`,
  );
  const rates: Rates[] = [];
  const format = (n: number) => Math.round(n).toLocaleString('en');
  for (let run = 0; run < options.runs; run++) {
    const rate = runOnce(options);
    rates.push(rate);
    console.log(
      `  run ${run + 1}: ${format(rate.wall)} committed entries/s (${format(rate.cpu)} per CPU-second)`,
    );
  }
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const wall = median(rates.map((r) => r.wall));
  const cpu = median(rates.map((r) => r.cpu));
  console.log(
    `raft-core: median ${format(wall)} committed entries/s (${format(cpu)} per CPU-second)`,
  );
}

main();
