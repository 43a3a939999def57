import test from 'ava';
import { registerProcessMetrics } from '../../src/metrics/process-metrics.ts';
import { MetricsRegistry } from '../../src/metrics/registry.ts';

function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

/** Keeps the event loop busy, as a long synchronous handler would. */
function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

const nextTimerTurn = () => new Promise((resolve) => setTimeout(resolve, 30));

test('CPU, memory, event-loop delay and GC series are rendered', async (t) => {
  const registry = new MetricsRegistry();
  const stop = registerProcessMetrics(registry);
  t.teardown(stop);
  await nextTimerTurn();
  const text = registry.render();
  t.true(seriesValue(text, 'process_cpu_user_seconds_total') > 0);
  t.true(seriesValue(text, 'process_resident_memory_bytes') > 1024 * 1024);
  t.true(seriesValue(text, 'nodejs_heap_used_bytes') > 0);
  t.true(seriesValue(text, 'process_start_time_seconds') > 1_600_000_000);
  t.regex(text, /# TYPE nodejs_gc_duration_seconds histogram/);
  t.true(Number.isFinite(seriesValue(text, 'nodejs_eventloop_delay_seconds{quantile="0.99"}')));
});

test('a stalled event loop shows in the delay maximum, once', async (t) => {
  const registry = new MetricsRegistry();
  const stop = registerProcessMetrics(registry);
  t.teardown(stop);
  await nextTimerTurn();
  registry.render(); // starts a fresh interval
  blockLoop(120);
  await nextTimerTurn();
  const stalled = seriesValue(registry.render(), 'nodejs_eventloop_delay_seconds{quantile="1"}');
  t.true(stalled >= 0.1, `max delay ${stalled} s after a 120 ms stall`);
  await nextTimerTurn();
  await nextTimerTurn();
  const after = seriesValue(registry.render(), 'nodejs_eventloop_delay_seconds{quantile="1"}');
  t.true(after < stalled, `the next interval (${after} s) no longer holds the stall`);
});

test('CPU counters only grow between scrapes', async (t) => {
  const registry = new MetricsRegistry();
  const stop = registerProcessMetrics(registry);
  t.teardown(stop);
  const first = seriesValue(registry.render(), 'process_cpu_user_seconds_total');
  blockLoop(20);
  const second = seriesValue(registry.render(), 'process_cpu_user_seconds_total');
  t.true(second >= first);
});
