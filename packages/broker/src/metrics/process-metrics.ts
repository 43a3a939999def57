/**
 * The process's own health in the node's metrics: CPU time, memory, event-loop delay and
 * garbage-collection pauses. A node whose loop stalls answers every request late, whatever
 * the disk and the network do, so these are the first figures to read when latency grows.
 *
 * Names follow the Prometheus client conventions (`process_*`, `nodejs_*`). The event-loop
 * delay quantiles cover the time since the previous scrape (the sampler is reset at each
 * one), so a single scraper sees every stall once.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { MetricsRegistry } from './registry.ts';

/** Buckets for GC pauses, in seconds: minor collections take 0.1–5 ms, major ones more. */
const gcPauseBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** How often the event-loop delay is sampled, in ms. */
const loopDelaySampleMs = 20;
/** Samples kept between scrapes (about 3 minutes' worth); later ones replace older ones. */
const loopDelaySamplesMax = 10_000;

const gcKinds: Readonly<Record<number, string>> = {
  1: 'minor',
  2: 'major',
  4: 'incremental',
  8: 'weakcb',
  15: 'all',
};

/** Registers the process metrics; the returned function stops their samplers. */
export function registerProcessMetrics(registry: MetricsRegistry): () => void {
  const cpuUser = registry.counter('process_cpu_user_seconds_total', 'User CPU time spent.');
  const cpuSystem = registry.counter('process_cpu_system_seconds_total', 'System CPU time spent.');
  const startTime = registry.gauge(
    'process_start_time_seconds',
    'Start time of the process since the Unix epoch, in seconds.',
  );
  const resident = registry.gauge('process_resident_memory_bytes', 'Resident memory size.');
  const heapUsed = registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use.');
  const heapTotal = registry.gauge('nodejs_heap_total_bytes', 'V8 heap reserved.');
  const external = registry.gauge(
    'nodejs_external_memory_bytes',
    'Memory held outside the V8 heap (Buffers among it).',
  );
  const loopDelay = registry.gauge(
    'nodejs_eventloop_delay_seconds',
    'Event-loop delay since the previous scrape, by quantile (1 = the longest stall).',
  );
  const gcPauses = registry.histogram(
    'nodejs_gc_duration_seconds',
    'Garbage-collection pauses, by kind.',
    gcPauseBuckets,
  );

  startTime.set({}, Math.round((Date.now() - performance.now()) / 1000));
  const delay = new LoopDelaySampler();
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = gcKinds[detail?.kind ?? 0] ?? 'other';
      gcPauses.observe({ kind }, entry.duration / 1000);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  let lastCpu = { user: 0, system: 0 };
  registry.onCollect(() => {
    const cpu = process.cpuUsage();
    cpuUser.inc({}, (cpu.user - lastCpu.user) / 1e6);
    cpuSystem.inc({}, (cpu.system - lastCpu.system) / 1e6);
    lastCpu = cpu;
    const memory = process.memoryUsage();
    resident.set({}, memory.rss);
    heapUsed.set({}, memory.heapUsed);
    heapTotal.set({}, memory.heapTotal);
    external.set({}, memory.external);
    const { p50, p99, max } = delay.takeInterval();
    loopDelay.set({ quantile: '0.5' }, p50 / 1000);
    loopDelay.set({ quantile: '0.99' }, p99 / 1000);
    loopDelay.set({ quantile: '1' }, max / 1000);
  });
  return () => {
    delay.stop();
    gcObserver.disconnect();
  };
}

/**
 * How late a repeating timer fires, in ms: the time the loop was busy with something else.
 * (node's own monitorEventLoopDelay, tried first, did not register a 120 ms stall on
 * Node 20: it reported 10 ms.)
 */
class LoopDelaySampler {
  private readonly samples: number[] = [];
  private next = 0;
  private max = 0;
  private expectedAt = performance.now() + loopDelaySampleMs;
  private readonly timer = setInterval(() => this.sample(), loopDelaySampleMs);

  constructor() {
    this.timer.unref();
  }

  private sample(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.expectedAt);
    this.expectedAt = now + loopDelaySampleMs;
    if (late > this.max) this.max = late;
    if (this.samples.length < loopDelaySamplesMax) this.samples.push(late);
    else this.samples[this.next++ % loopDelaySamplesMax] = late;
  }

  /** Quantiles of the delay since the previous call, which starts a new interval. */
  takeInterval(): { p50: number; p99: number; max: number } {
    const sorted = this.samples.sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    const result = { p50: at(0.5), p99: at(0.99), max: this.max };
    this.samples.length = 0;
    this.next = 0;
    this.max = 0;
    return result;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
