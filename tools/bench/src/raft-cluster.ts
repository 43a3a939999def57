/**
 * Benchmark of the Raft runtime end to end: three node processes on 127.0.0.1 (durable
 * WAL with fdatasync, authenticated WebSocket links, multi-raft host), driven through their
 * control channels by this process, which keeps a bounded window of entries in flight per
 * group, sent to the group's leader; every id is proposed as its own entry, and the host
 * batches whatever arrives between two cycles.
 *
 *   npx tsx tools/bench/src/raft-cluster.ts [--seconds 5] [--warmup 2] [--groups 1,100]
 *     [--sizes 100,1024] [--window 512] [--request-entries 64] [--dir /tmp] [--tick-ms 50]
 *     [--rates max,half] [--profile DIR] [--node-flags=--flag,...]
 *     [--wal-cache-mib N] [--rate ENTRIES_PER_SECOND (one open-loop row instead of max/half)]
 *     [--release burst|spread]
 *
 * Leadership is spread evenly over the three nodes first (transfers), as a broker would.
 * For each group count a fresh cluster; for each entry size two rows: `max` (closed loop:
 * as fast as the window allows) and `half` (open loop at half the rate `max` reached,
 * credited by the time that passed (the raft test-support's OpenLoopRelease): `--release burst`, the default, every
 * group's entries in the same 10 ms tick; `--release spread`, a tenth of the groups every
 * millisecond, as proposals from many independent producers reach a broker).
 * Reported per row: committed entries/s (acknowledged = committed
 * and applied on the leader), payload MB/s, commit latency p50/p99 as the leaders measure
 * it (propose to apply), and as this process sees it (request sent to reply, including the
 * control channel), fdatasyncs per second per node, entries per fdatasync, the CPU the
 * three nodes used, and the load average. The disk's own rate (4 KiB append + fdatasync,
 * one at a time) is measured before and after, in the same run.
 */

import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  LatencyHistogram,
  type NodeHandle,
  type NodeStats,
  OpenLoopRelease,
  ProcessCluster,
  type ProposeReply,
  type ReleaseMode,
  releaseModes,
} from '@tributary/raft/test-support';
import { benchArgs, numberArg, numberListArg, usageFailure } from './args.ts';

const values = benchArgs({
  seconds: { type: 'string', default: '5' },
  warmup: { type: 'string', default: '2' },
  groups: { type: 'string', default: '1,100' },
  sizes: { type: 'string', default: '100,1024' },
  window: { type: 'string', default: '512' },
  'request-entries': { type: 'string', default: '64' },
  dir: { type: 'string', default: tmpdir() },
  'tick-ms': { type: 'string', default: '50' },
  rates: { type: 'string', default: 'max,half' },
  profile: { type: 'string' },
  'node-flags': { type: 'string' },
  'wal-cache-mib': { type: 'string' },
  rate: { type: 'string' },
  release: { type: 'string', default: 'burst' },
});
const seconds = numberArg(values, 'seconds');
const warmupSeconds = numberArg(values, 'warmup');
const windowEntries = numberArg(values, 'window');
const requestEntriesMax = numberArg(values, 'request-entries');
const groupCounts = numberListArg(values, 'groups');
const entrySizes = numberListArg(values, 'sizes');
const releaseMode = values.release as ReleaseMode;
if (!releaseModes.includes(releaseMode))
  usageFailure(`--release must be burst or spread, got ${JSON.stringify(releaseMode)}`);
const drainTimeoutMs = 30_000;
const driverDelayResolutionMs = 5;

interface DiskRate {
  readonly opsPerSecond: number;
  readonly p50Ms: number;
}

function measureDisk(dir: string): DiskRate {
  const path = join(dir, `fdatasync-probe-${process.pid}`);
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 7);
  const latencies: number[] = [];
  const end = performance.now() + 2000;
  while (performance.now() < end) {
    const start = performance.now();
    writeSync(fd, block);
    fdatasyncSync(fd);
    latencies.push(performance.now() - start);
  }
  closeSync(fd);
  rmSync(path);
  latencies.sort((a, b) => a - b);
  return {
    opsPerSecond: latencies.length / 2,
    p50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0,
  };
}

interface GroupState {
  readonly group: number;
  readonly leader: NodeHandle;
  inflight: number;
}

/** The load generator: a bounded window of entries in flight per group. */
class WindowedLoad {
  private nextId = 1;
  private running = true;
  private readonly inflightRequests = new Set<Promise<void>>();
  readonly endToEnd = new LatencyHistogram();
  counts = { acked: 0, refused: 0, superseded: 0, unknown: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly groups: GroupState[],
    private readonly size: number,
    /** Entries per second in all; undefined: closed loop (as fast as the window allows). */
    private readonly rate: number | undefined,
  ) {}

  start(): void {
    if (this.rate === undefined) {
      for (const g of this.groups) this.refill(g);
      return;
    }
    const release = new OpenLoopRelease({
      mode: releaseMode,
      groupCount: this.groups.length,
      entriesPerSecond: this.rate,
      windowEntries,
      startMs: performance.now(),
    });
    this.timer = setInterval(() => {
      const sends = release.due(performance.now(), (i) => (this.groups[i] as GroupState).inflight);
      for (const [i, count] of sends) this.send(this.groups[i] as GroupState, count);
    }, release.intervalMs);
  }

  resetCounts(): void {
    this.counts = { acked: 0, refused: 0, superseded: 0, unknown: 0 };
    this.endToEnd.reset();
  }

  private refill(g: GroupState): void {
    while (this.running && g.inflight < windowEntries)
      this.send(g, Math.min(requestEntriesMax, windowEntries - g.inflight));
  }

  private send(g: GroupState, count: number): void {
    const ids = Array.from({ length: count }, () => this.nextId++);
    g.inflight += count;
    const sentAt = performance.now();
    const request = g.leader
      .propose(g.group, ids, this.size, drainTimeoutMs)
      .then(
        (reply) => this.settled(reply, sentAt),
        () => {
          this.counts.unknown += count;
        },
      )
      .finally(() => {
        g.inflight -= count;
        this.inflightRequests.delete(request);
        if (this.rate === undefined) this.refill(g);
      });
    this.inflightRequests.add(request);
  }

  private settled(reply: ProposeReply, sentAt: number): void {
    const latency = performance.now() - sentAt;
    for (let i = 0; i < reply.acked.length; i++) this.endToEnd.record(latency);
    this.counts.acked += reply.acked.length;
    this.counts.refused += reply.refused.length;
    this.counts.superseded += reply.superseded.length;
    this.counts.unknown += reply.unknown.length;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    while (this.inflightRequests.size > 0) await Promise.allSettled([...this.inflightRequests]);
  }
}

interface Row {
  readonly groups: number;
  readonly size: number;
  readonly mode: string;
  readonly entriesPerSecond: number;
  readonly commitP50Ms: number;
  readonly commitP99Ms: number;
  readonly endToEndP50Ms: number;
  readonly endToEndP99Ms: number;
  readonly fsyncsPerSecondPerNode: number;
  readonly entriesPerFsync: number;
  readonly cpuPercentOfOneCore: number;
  readonly refused: number;
  readonly load: string;
  /** Append entries sent per committed entry, all nodes (2 = once to each follower). */
  readonly entriesSentPerEntry: number;
  readonly wireBytesPerEntry: number;
  readonly appendRejections: number;
  readonly tailProbes: number;
  readonly replicationRestarts: number;
  readonly droppedQueueFull: number;
  readonly syncP50Ms: number;
  readonly syncP99Ms: number;
  readonly diagnostics: string;
}

async function resetStats(cluster: ProcessCluster): Promise<void> {
  await Promise.all(cluster.nodeIds.map((id) => cluster.handle(id).stats(true)));
}

async function collectStats(cluster: ProcessCluster): Promise<NodeStats[]> {
  return Promise.all(cluster.nodeIds.map((id) => cluster.handle(id).stats(false)));
}

function summarize(
  base: { groups: number; size: number; mode: string; load: string },
  stats: NodeStats[],
  load: WindowedLoad,
): Row {
  const elapsedSeconds = Math.max(...stats.map((s) => s.elapsedMs)) / 1000;
  const acked = stats.reduce((sum, s) => sum + s.proposalsAcked, 0);
  const commit = new LatencyHistogram();
  for (const s of stats) commit.add(s.latency);
  const fsyncs = stats.reduce((sum, s) => sum + s.walSegmentSyncs + s.walAcknowledgedSyncs, 0);
  const fsyncsPerSecondPerNode = fsyncs / stats.length / elapsedSeconds;
  const cpuMs = stats.reduce((sum, s) => sum + s.cpuUserMs + s.cpuSystemMs, 0);
  const total = (pick: (s: NodeStats) => number) => stats.reduce((sum, s) => sum + pick(s), 0);
  const sync = new LatencyHistogram();
  for (const s of stats) sync.add(s.syncLatency);
  return {
    ...base,
    entriesPerSecond: acked / elapsedSeconds,
    commitP50Ms: commit.quantileMs(0.5),
    commitP99Ms: commit.quantileMs(0.99),
    endToEndP50Ms: load.endToEnd.quantileMs(0.5),
    endToEndP99Ms: load.endToEnd.quantileMs(0.99),
    fsyncsPerSecondPerNode,
    entriesPerFsync: acked / elapsedSeconds / Math.max(fsyncsPerSecondPerNode, 1e-9),
    cpuPercentOfOneCore: (cpuMs / (elapsedSeconds * 1000)) * 100,
    refused: load.counts.refused + load.counts.superseded + load.counts.unknown,
    load: base.load,
    entriesSentPerEntry: total((s) => s.peerEntriesSent) / Math.max(acked, 1),
    wireBytesPerEntry: total((s) => s.peerBytesSent) / Math.max(acked, 1),
    appendRejections: total((s) => s.appendRejectionsReceived),
    tailProbes: total((s) => s.tailProbesSent),
    replicationRestarts: total((s) => s.replicationRestarts),
    droppedQueueFull: total((s) => s.peerDroppedQueueFull),
    syncP50Ms: sync.quantileMs(0.5),
    syncP99Ms: sync.quantileMs(0.99),
    diagnostics: describeDiagnostics(stats, elapsedSeconds),
  };
}

/** CPU by thread name, % of a core (absent from nodes of older versions). */
function describeThreads(d: NodeStats['diagnostics'], elapsedSeconds: number): string {
  if (d.threadCpuMs === undefined) return '';
  const percent = (ms: number) => round((ms / (elapsedSeconds * 1000)) * 100);
  const others = Object.entries(d.threadCpuMs).filter(([name, ms]) => name !== 'main' && ms > 0);
  const othersMs = others.reduce((sum, [, ms]) => sum + ms, 0);
  const parts = others.map(([name, ms]) => `${name} ${percent(ms)}%`).join(' ');
  return `CPU by thread: main ${percent(d.threadCpuMs.main ?? 0)}%, others ${percent(othersMs)}% (${parts}); `;
}

/** GC pauses by kind (absent from nodes of older versions, compared against in A/B runs). */
function describeGc(d: NodeStats['diagnostics'], elapsedSeconds: number): string {
  if (d.gcMs === undefined) return '';
  const total = d.gcMs.minor + d.gcMs.major + d.gcMs.other;
  return `GC ${round((total / (elapsedSeconds * 1000)) * 100)}% of the time (minor ${d.gcCounts.minor} taking ${round(d.gcMs.minor)} ms, major ${d.gcCounts.major} taking ${round(d.gcMs.major)} ms); `;
}

/** Where the time goes, per node: the lines printed under each row on stderr. */
function describeDiagnostics(stats: NodeStats[], elapsedSeconds: number): string {
  const lines: string[] = [];
  const ms = (counts: NodeStats['syncLatency'], q: number) => {
    const h = new LatencyHistogram();
    h.add(counts);
    return round(h.quantileMs(q), 1);
  };
  stats.forEach((s, i) => {
    const d = s.diagnostics;
    const perSecond = (n: number) => round(n / elapsedSeconds);
    const types = Object.entries(d.sent)
      .map(
        ([type, t]) =>
          `${type} ${perSecond(t.count)}/s ${round(t.bytes / elapsedSeconds / 1e6, 1)}MB/s${t.entries > 0 ? ` ${perSecond(t.entries)} entries/s` : ''}`,
      )
      .join(', ');
    lines.push(
      `    node ${i + 1}: cycles ${perSecond(s.cycles)}/s, host syncs ${perSecond(s.syncs)}/s, WAL flushes ${perSecond(s.walFlushes)}/s, entries staged ${perSecond(s.walEntriesStaged)}/s (${round(s.walEntriesStaged / Math.max(s.walFlushes, 1))} per flush, ${round(s.walBytesWritten / Math.max(s.walFlushes, 1) / 1024)} KiB per flush), WAL records read from disk ${perSecond(s.walDiskReads)}/s, entry cache ${round(s.walCacheBytes / 2 ** 20, 1)} MiB, CPU ${round(((s.cpuUserMs + s.cpuSystemMs) / (elapsedSeconds * 1000)) * 100)}%`,
      `      segment write p50 ${ms(d.segmentWrites.latency, 0.5)} p99 ${ms(d.segmentWrites.latency, 0.99)} ms, segment fdatasync p50 ${ms(d.segmentSyncs.latency, 0.5)} p99 ${ms(d.segmentSyncs.latency, 0.99)} ms (${d.segmentSyncs.count}), acknowledged fdatasync p50 ${ms(d.otherSyncs.latency, 0.5)} p99 ${ms(d.otherSyncs.latency, 0.99)} ms (${d.otherSyncs.count} syncs, ${d.otherWrites.count} writes), host sync wait p50 ${ms(s.syncLatency, 0.5)} p99 ${ms(s.syncLatency, 0.99)} ms`,
      `      main thread: on CPU ${round((d.mainThreadRunMs / (elapsedSeconds * 1000)) * 100)}%, waiting to run ${round((d.mainThreadRunQueueMs / (elapsedSeconds * 1000)) * 100)}% of the time; event-loop delay p50 ${round(d.eventLoopDelayMsP50, 1)} p99 ${round(d.eventLoopDelayMsP99, 1)} max ${round(d.eventLoopDelayMsMax, 1)} ms; ${describeGc(d, elapsedSeconds)}${describeThreads(d, elapsedSeconds)}sent: ${types}`,
    );
  });
  return lines.join('\n');
}

/**
 * Spreads leadership evenly (group g to node ids[(g - 1) mod n]), as a broker places its
 * leaders: elections alone tend to crown the node that started first, which then does all
 * the proposing, encoding and acknowledging while the others idle. Gives up after a
 * deadline and reports how the leaders ended up.
 */
async function balanceLeaders(cluster: ProcessCluster): Promise<Map<number, number>> {
  const ids = cluster.nodeIds;
  const wanted = (group: number) => ids[(group - 1) % ids.length] as number;
  const deadline = performance.now() + 60_000;
  let leaders = await cluster.waitForLeaders(cluster.groupIds, 120_000);
  while (performance.now() < deadline) {
    const misplaced = cluster.groupIds.filter((g) => leaders.get(g) !== wanted(g));
    if (misplaced.length === 0) break;
    await Promise.allSettled(
      misplaced.map((g) => cluster.handle(leaders.get(g) as number).transferLeader(g, wanted(g))),
    );
    await sleep(1000);
    leaders = await cluster.waitForLeaders(cluster.groupIds, 120_000);
  }
  const perNode = ids.map((id) => [...leaders.values()].filter((l) => l === id).length);
  console.error(`  leaders per node ${ids.map((id, i) => `${id}:${perNode[i]}`).join(' ')}`);
  return leaders;
}

async function groupStates(cluster: ProcessCluster): Promise<GroupState[]> {
  const leaders = await balanceLeaders(cluster);
  return cluster.groupIds.map((group) => ({
    group,
    leader: cluster.handle(leaders.get(group) as number),
    inflight: 0,
  }));
}

async function measure(
  cluster: ProcessCluster,
  size: number,
  mode: string,
  rate: number | undefined,
): Promise<Row> {
  const load = new WindowedLoad(await groupStates(cluster), size, rate);
  load.start();
  await sleep(warmupSeconds * 1000);
  await resetStats(cluster);
  load.resetCounts();
  const loadBefore = loadavg()[0] as number;
  const driverCpuBefore = process.cpuUsage();
  // The generator's own delays postpone releases and replies: its end-to-end figures include them.
  const driverDelay = monitorEventLoopDelay({ resolution: driverDelayResolutionMs });
  driverDelay.enable();
  await sleep(seconds * 1000);
  const stats = await collectStats(cluster);
  driverDelay.disable();
  const driverCpu = process.cpuUsage(driverCpuBefore);
  // The histogram holds whole sampling intervals: the delay is what exceeds the resolution.
  const delayMs = (ns: number) => round(Math.max(0, ns / 1e6 - driverDelayResolutionMs), 1);
  console.error(
    `  this process (the load generator) used ${round(((driverCpu.user + driverCpu.system) / 1000 / (seconds * 1000)) * 100)}% of a core; its event-loop delay p50 ${delayMs(driverDelay.percentile(50))} p99 ${delayMs(driverDelay.percentile(99))} max ${delayMs(driverDelay.max)} ms`,
  );
  const loadText = `${loadBefore.toFixed(1)}–${(loadavg()[0] as number).toFixed(1)}`;
  await load.stop();
  return summarize({ groups: cluster.groupIds.length, size, mode, load: loadText }, stats, load);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function benchGroups(groups: number, sizes: number[], print: (row: Row) => void) {
  const cluster = await ProcessCluster.start({
    nodeIds: [1, 2, 3],
    groups,
    root: mkdtempSync(join(values.dir, 'raft-cluster-bench-')),
    settings: {
      appliedLog: false,
      tickMs: numberArg(values, 'tick-ms'),
      electionTicks: 20,
      heartbeatTicks: 2,
      ...(values['wal-cache-mib'] === undefined
        ? {}
        : { walCacheBytes: numberArg(values, 'wal-cache-mib') * 1024 * 1024 }),
      nodeFlags: [
        ...(values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values.profile]),
        ...(values['node-flags'] ?? '').split(',').filter((flag) => flag !== ''),
      ],
    },
  });
  try {
    for (const size of sizes) {
      if (values.rate !== undefined) {
        // One open-loop row at a fixed offered rate: CPU per entry compares versions
        // better than `max` on a loaded machine, where backlogs change what an entry costs.
        print(await measure(cluster, size, `fixed`, numberArg(values, 'rate')));
        continue;
      }
      const max = await measure(cluster, size, 'max', undefined);
      const modes = (values.rates ?? '').split(',');
      if (modes.includes('max')) print(max);
      if (modes.includes('half'))
        print(await measure(cluster, size, 'half', max.entriesPerSecond / 2));
    }
  } finally {
    await Promise.all(cluster.nodeIds.map((id) => cluster.node(id)?.shutdown()));
    await cluster.close();
    rmSync(cluster.root, { recursive: true, force: true });
  }
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const disks = [measureDisk(values.dir)];
  const rows: Row[] = [];
  const header =
    '| groups | entry B | load | committed entries/s | MB/s | commit p50 ms | commit p99 ms | end-to-end p50 ms | end-to-end p99 ms | fsyncs/s per node | entries/fsync | entries/s ÷ disk fsyncs/s | node CPU % of a core | not acked | load avg |';
  console.log(header);
  console.log(`|${'---|'.repeat(15)}`);
  const print = (r: Row) => {
    rows.push(r);
    const cells = [
      r.groups,
      r.size,
      r.mode,
      round(r.entriesPerSecond),
      round((r.entriesPerSecond * r.size) / 1e6, 1),
      round(r.commitP50Ms, 1),
      round(r.commitP99Ms, 1),
      round(r.endToEndP50Ms, 1),
      round(r.endToEndP99Ms, 1),
      round(r.fsyncsPerSecondPerNode),
      round(r.entriesPerFsync, 1),
      round(r.entriesPerSecond / (disks[0] as DiskRate).opsPerSecond, 1),
      round(r.cpuPercentOfOneCore),
      r.refused,
      r.load,
    ];
    console.log(`| ${cells.join(' | ')} |`);
    // Diagnostics on stderr, so stdout stays one table.
    console.error(
      `  ${r.groups} groups ${r.size} B ${r.mode}: node CPU per committed entry ${round((r.cpuPercentOfOneCore * 10_000) / Math.max(r.entriesPerSecond, 1), 1)} µs (3 nodes), Append entries sent per committed entry ${round(r.entriesSentPerEntry, 2)}, wire bytes per entry ${round(r.wireBytesPerEntry)}, append rejections ${r.appendRejections}, tail probes ${r.tailProbes}, followers back to probe ${r.replicationRestarts}, dropped (queue full) ${r.droppedQueueFull}, WAL sync p50 ${round(r.syncP50Ms, 1)} ms p99 ${round(r.syncP99Ms, 1)} ms`,
    );
    console.error(r.diagnostics);
  };
  for (const groups of groupCounts) await benchGroups(groups, entrySizes, print);
  disks.push(measureDisk(values.dir));
  console.log(
    `disk: 4 KiB append + fdatasync, one at a time: ${disks.map((d) => `${round(d.opsPerSecond)}/s (p50 ${round(d.p50Ms, 2)} ms)`).join(' before, ')} after; ratios above use the first`,
  );
}

await main();
