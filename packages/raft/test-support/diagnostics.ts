/**
 * What a node process measures about itself for the benchmarks, beyond the host's and the
 * WAL's own counters: messages and bytes per message type both ways, the durations of the
 * WAL's file operations (segment writes and fdatasyncs, acknowledged-file fdatasyncs) as
 * the thread pool ran them, and the event loop's delay. Used to find where the time of a
 * commit goes; not part of the runtime.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { type Message, MessageType } from '../src/core/types.ts';
import { type WalFile, type WalFileSystem, writeDurably } from '../src/durable/file-system.ts';
import { estimateMessageBytes } from '../src/transport/frame.ts';
import type { HistogramCounts } from './latency-histogram.ts';
import { LatencyHistogram } from './latency-histogram.ts';

export interface MessageTally {
  count: number;
  /** Estimated bytes (the transport's queue estimate: data plus a fixed overhead). */
  bytes: number;
  entries: number;
}

export interface FileOperationStats {
  readonly count: number;
  readonly bytes: number;
  /** Durations, ms. */
  readonly latency: HistogramCounts;
}

export interface NodeDiagnostics {
  readonly sent: Record<string, MessageTally>;
  readonly received: Record<string, MessageTally>;
  readonly segmentWrites: FileOperationStats;
  readonly segmentSyncs: FileOperationStats;
  readonly otherWrites: FileOperationStats;
  readonly otherSyncs: FileOperationStats;
  /** Event-loop delay beyond the 10 ms sampling interval, ms. */
  readonly eventLoopDelayMsP50: number;
  readonly eventLoopDelayMsP99: number;
  readonly eventLoopDelayMsMax: number;
  /**
   * The main thread's time on a CPU and waiting for one while runnable (Linux schedstat),
   * ms: a thread that waits long to run is starved by the machine, not slow by itself.
   */
  readonly mainThreadRunMs: number;
  readonly mainThreadRunQueueMs: number;
  /** Garbage-collection pauses by kind (minor = scavenges, major = mark-compact), ms. */
  readonly gcMs: { readonly minor: number; readonly major: number; readonly other: number };
  readonly gcCounts: { readonly minor: number; readonly major: number; readonly other: number };
  /**
   * CPU time (user + system, ms) of this process's threads: "main", and the others by
   * their thread id's offset from the process id ("+1", ...; every thread of Node 20 is
   * named "node"): V8's platform workers (garbage collection, compilation) start first,
   * right after the main thread, libuv's pool (file-system calls) at its first use.
   * Empty where /proc is not readable.
   */
  readonly threadCpuMs: Record<string, number>;
}

const clockTicksPerSecond = 100;

/** CPU time of each thread of this process ("main", "+offset"), ms. */
function threadCpu(): Map<string, number> {
  const byName = new Map<string, number>();
  try {
    for (const task of readdirSync('/proc/self/task')) {
      try {
        const offset = Number(task) - process.pid;
        const name = offset === 0 ? 'main' : `+${offset}`;
        const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        byName.set(name, (byName.get(name) ?? 0) + (ticks * 1000) / clockTicksPerSecond);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // no /proc: not Linux
  }
  return byName;
}

/** [on CPU, waiting on a run queue] of this process's main thread, ms; zeros if unknown. */
function mainThreadSchedule(): [number, number] {
  try {
    const [run, wait] = readFileSync('/proc/self/schedstat', 'utf8').split(' ');
    return [Number(run) / 1e6, Number(wait) / 1e6];
  } catch {
    return [0, 0];
  }
}

const typeNames = new Map<number, string>(
  Object.entries(MessageType).map(([name, value]) => [value, name]),
);

class FileOperationTally {
  count = 0;
  bytes = 0;
  readonly latency = new LatencyHistogram();

  record(startedMs: number, bytes: number): void {
    this.count += 1;
    this.bytes += bytes;
    this.latency.record(performance.now() - startedMs);
  }

  snapshot(): FileOperationStats {
    return { count: this.count, bytes: this.bytes, latency: this.latency.toCounts() };
  }

  reset(): void {
    this.count = 0;
    this.bytes = 0;
    this.latency.reset();
  }
}

export class Diagnostics {
  private sent = new Map<string, MessageTally>();
  private received = new Map<string, MessageTally>();
  private readonly segmentWrites = new FileOperationTally();
  private readonly segmentSyncs = new FileOperationTally();
  private readonly otherWrites = new FileOperationTally();
  private readonly otherSyncs = new FileOperationTally();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private scheduleBase = mainThreadSchedule();
  private gcMs = { minor: 0, major: 0, other: 0 };
  private gcCounts = { minor: 0, major: 0, other: 0 };
  private threadBase = threadCpu();

  constructor() {
    this.loopDelay.enable();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        const name =
          kind === constants.NODE_PERFORMANCE_GC_MINOR
            ? 'minor'
            : kind === constants.NODE_PERFORMANCE_GC_MAJOR
              ? 'major'
              : 'other';
        this.gcMs[name] += entry.duration;
        this.gcCounts[name] += 1;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    // Never keeps the process alive on its own.
    (observer as unknown as { unref?: () => void }).unref?.();
  }

  countSent(messages: readonly Message[]): void {
    tally(this.sent, messages);
  }

  countReceived(messages: readonly Message[]): void {
    tally(this.received, messages);
  }

  /** The file system `inner`, timing every write and fdatasync. */
  timedFileSystem(inner: WalFileSystem): WalFileSystem {
    return {
      ...inner,
      open: async (path, options) => this.timedFile(await inner.open(path, options)),
    };
  }

  private timedFile(file: WalFile): WalFile {
    const segment = file.path.endsWith('.wal');
    const writes = segment ? this.segmentWrites : this.otherWrites;
    const syncs = segment ? this.segmentSyncs : this.otherSyncs;
    return {
      path: file.path,
      write: async (data, position) => {
        const started = performance.now();
        await file.write(data, position);
        writes.record(started, data.byteLength);
      },
      datasync: async () => {
        const started = performance.now();
        await file.datasync();
        syncs.record(started, 0);
      },
      // Counted as a sync (of the bytes it wrote): one operation on an O_DSYNC descriptor.
      writeDurable: async (data, position) => {
        const started = performance.now();
        await writeDurably(file, data, position);
        writes.record(started, data.byteLength);
        syncs.record(started, 0);
      },
      truncate: (size) => file.truncate(size),
      readSync: (target, position) => file.readSync(target, position),
      size: () => file.size(),
      close: () => file.close(),
    };
  }

  snapshot(): NodeDiagnostics {
    const ns = 1e6;
    const [run, wait] = mainThreadSchedule();
    return {
      mainThreadRunMs: run - (this.scheduleBase[0] as number),
      mainThreadRunQueueMs: wait - (this.scheduleBase[1] as number),
      sent: Object.fromEntries(this.sent),
      received: Object.fromEntries(this.received),
      segmentWrites: this.segmentWrites.snapshot(),
      segmentSyncs: this.segmentSyncs.snapshot(),
      otherWrites: this.otherWrites.snapshot(),
      otherSyncs: this.otherSyncs.snapshot(),
      eventLoopDelayMsP50: Math.max(0, this.loopDelay.percentile(50) / ns - 10),
      eventLoopDelayMsP99: Math.max(0, this.loopDelay.percentile(99) / ns - 10),
      eventLoopDelayMsMax: Math.max(0, this.loopDelay.max / ns - 10),
      gcMs: { ...this.gcMs },
      gcCounts: { ...this.gcCounts },
      threadCpuMs: Object.fromEntries(
        [...threadCpu()].map(([name, ms]) => [name, ms - (this.threadBase.get(name) ?? 0)]),
      ),
    };
  }

  reset(): void {
    this.sent = new Map();
    this.received = new Map();
    for (const tally of [this.segmentWrites, this.segmentSyncs, this.otherWrites, this.otherSyncs])
      tally.reset();
    this.loopDelay.reset();
    this.scheduleBase = mainThreadSchedule();
    this.gcMs = { minor: 0, major: 0, other: 0 };
    this.gcCounts = { minor: 0, major: 0, other: 0 };
    this.threadBase = threadCpu();
  }
}

function tally(into: Map<string, MessageTally>, messages: readonly Message[]): void {
  for (const message of messages) {
    const name = typeNames.get(message.type) ?? String(message.type);
    let entry = into.get(name);
    if (entry === undefined) {
      entry = { count: 0, bytes: 0, entries: 0 };
      into.set(name, entry);
    }
    entry.count += 1;
    entry.bytes += estimateMessageBytes(message);
    if (message.type === MessageType.Append) entry.entries += message.entries.length;
  }
}
