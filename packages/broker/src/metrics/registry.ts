/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in
 * the text exposition format (version 0.0.4). Label sets are bounded per metric so a bad
 * caller cannot grow memory without limit.
 */

type Labels = Readonly<Record<string, string | number>>;

/** Distinct label sets one metric may hold; more are folded into one overflow series. */
export const labelSetsPerMetricMax = 10_000;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(',');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
}

const overflowKey = 'overflow="true"';

abstract class Metric<S> {
  protected readonly series = new Map<string, S>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected seriesFor(labels: Labels, create: () => S): S {
    let key = labelKey(labels);
    let found = this.series.get(key);
    if (found) return found;
    if (this.series.size >= labelSetsPerMetricMax) key = overflowKey;
    found = this.series.get(key) ?? create();
    this.series.set(key, found);
    return found;
  }

  remove(labels: Labels): void {
    this.series.delete(labelKey(labels));
  }

  abstract render(): string[];

  protected header(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
  }
}

function seriesName(name: string, key: string): string {
  return key ? `${name}{${key}}` : name;
}

export class Counter extends Metric<{ value: number }> {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, amount = 1): void {
    this.seriesFor(labels, () => ({ value: 0 })).value += amount;
  }
  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
  render(): string[] {
    return [
      ...this.header(),
      ...[...this.series].map(([k, s]) => `${seriesName(this.name, k)} ${formatNumber(s.value)}`),
    ];
  }
}

export class Gauge extends Metric<{ value: number }> {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(labels: Labels, value: number): void {
    this.seriesFor(labels, () => ({ value: 0 })).value = value;
  }
  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
  render(): string[] {
    return [
      ...this.header(),
      ...[...this.series].map(([k, s]) => `${seriesName(this.name, k)} ${formatNumber(s.value)}`),
    ];
  }
}

interface HistogramSeries {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Latency-style buckets in seconds, from 100 µs to 10 s. */
export const defaultLatencyBuckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class Histogram extends Metric<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[] = defaultLatencyBuckets,
  ) {
    super(name, help, 'histogram');
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i] as number) <= (buckets[i - 1] as number))
        throw new Error(`assertion failed: ${name} buckets must rise`);
    }
  }
  observe(labels: Labels, value: number): void {
    const s = this.seriesFor(labels, () => ({
      counts: this.buckets.map(() => 0),
      sum: 0,
      count: 0,
    }));
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) s.counts[i] = (s.counts[i] ?? 0) + 1;
    }
    s.sum += value;
    s.count++;
  }
  countOf(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }
  render(): string[] {
    const lines = this.header();
    for (const [key, s] of this.series) {
      const prefix = key ? `${key},` : '';
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket{${prefix}le="${formatNumber(bound)}"} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket{${prefix}le="+Inf"} ${s.count}`);
      lines.push(`${seriesName(`${this.name}_sum`, key)} ${formatNumber(s.sum)}`);
      lines.push(`${seriesName(`${this.name}_count`, key)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric<unknown>>();
  /** Called before rendering, to refresh gauges computed from live state. */
  private readonly collectors: (() => void)[] = [];

  private add<M extends Metric<unknown>>(metric: M): M {
    if (this.metrics.has(metric.name))
      throw new Error(`assertion failed: metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  onCollect(collector: () => void): void {
    this.collectors.push(collector);
  }
  render(): string {
    for (const collect of this.collectors) collect();
    return `${[...this.metrics.values()].flatMap((m) => m.render()).join('\n')}\n`;
  }
}
