import test from 'ava';
import { startMetricsEndpoint } from '../../src/metrics/http.ts';
import { MetricsRegistry } from '../../src/metrics/registry.ts';

test('renders counters, gauges and histograms in the text format', (t) => {
  const registry = new MetricsRegistry();
  registry.counter('requests_total', 'Requests.').inc({ api: 'Produce' }, 3);
  registry.gauge('hw', 'High watermark.').set({ topic: 'a"b', partition: 0 }, 42);
  const h = registry.histogram('latency_seconds', 'Latency.', [0.01, 0.1]);
  h.observe({ api: 'Fetch' }, 0.05);
  h.observe({ api: 'Fetch' }, 1);
  const text = registry.render();
  t.true(text.includes('requests_total{api="Produce"} 3'));
  t.true(text.includes('hw{partition="0",topic="a\\"b"} 42'));
  t.true(text.includes('latency_seconds_bucket{api="Fetch",le="0.01"} 0'));
  t.true(text.includes('latency_seconds_bucket{api="Fetch",le="0.1"} 1'));
  t.true(text.includes('latency_seconds_bucket{api="Fetch",le="+Inf"} 2'));
  t.true(text.includes('latency_seconds_count{api="Fetch"} 2'));
  t.throws(() => registry.counter('requests_total', 'again'));
});

test('label sets are bounded', (t) => {
  const registry = new MetricsRegistry();
  const c = registry.counter('c', 'c');
  for (let i = 0; i < 10_050; i++) c.inc({ id: i });
  t.true(c.get({ overflow: 'true' }) >= 50);
});

test('the HTTP endpoint serves /metrics, /health and 404', async (t) => {
  const registry = new MetricsRegistry();
  registry.counter('up_total', 'x').inc();
  let healthy = true;
  const endpoint = await startMetricsEndpoint({
    host: '127.0.0.1',
    port: 0,
    registry,
    health: () => ({ healthy, details: { a: 1 } }),
  });
  t.teardown(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.port}`;
  t.regex(await (await fetch(`${base}/metrics`)).text(), /up_total 1/);
  t.is((await fetch(`${base}/health`)).status, 200);
  healthy = false;
  const unhealthy = await fetch(`${base}/health`);
  t.is(unhealthy.status, 503);
  t.deepEqual(await unhealthy.json(), { healthy: false, details: { a: 1 } });
  t.is((await fetch(`${base}/nope`)).status, 404);
});
