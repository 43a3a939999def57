/**
 * Draws a timeline as one inline SVG: throughput (completions per second by outcome) above,
 * send latency (log scale) below, fault windows shaded across both. No scripts, no external
 * resources: the report must open from a results folder with no network.
 */
import type { CompletionType } from '../history/operation.ts';
import type { Timeline } from './timeline.ts';

const width = 960;
const left = 64;
const right = 16;
const panelHeight = 200;
const gap = 48;
const top = 40;
const plotWidth = width - left - right;

const colors: Record<CompletionType | 'polls', string> = {
  ok: '#2e7d32',
  info: '#ef6c00',
  fail: '#c62828',
  polls: '#1565c0',
};

const faultColors = ['#9575cd', '#4db6ac', '#f06292', '#ffb74d', '#90a4ae', '#aed581'];

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function timelineSvg(timeline: Timeline): string {
  const height = top + panelHeight * 2 + gap + 40;
  const x = (ms: number): number => left + (ms / timeline.durationMs) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
  ];
  parts.push(...faultShading(timeline, x, height));
  const throughputTop = top;
  const latencyTop = top + panelHeight + gap;
  parts.push(...throughputPanel(timeline, x, throughputTop));
  parts.push(...latencyPanel(timeline, x, latencyTop));
  parts.push(...timeAxis(timeline, x, latencyTop + panelHeight));
  parts.push('</svg>');
  return parts.join('\n');
}

function faultShading(timeline: Timeline, x: (ms: number) => number, height: number): string[] {
  const kinds = [...new Set(timeline.faults.map((f) => f.kind))];
  return timeline.faults.flatMap((fault, i) => {
    const color = faultColors[kinds.indexOf(fault.kind) % faultColors.length]!;
    const x0 = x(fault.startMs);
    const w = Math.max(1, x(fault.endMs) - x0);
    const label = `${fault.kind}${fault.targets.length > 0 ? ` ${fault.targets.join(',')}` : ''}`;
    return [
      `<rect class="fault" x="${x0.toFixed(1)}" y="${top - 26}" width="${w.toFixed(1)}" height="${height - top - 14}" fill="${color}" fill-opacity="0.18"><title>${escapeXml(label)} ${(fault.startMs / 1000).toFixed(1)}–${(fault.endMs / 1000).toFixed(1)} s</title></rect>`,
      // Alternate label rows so adjacent windows stay readable.
      `<text x="${(x0 + 2).toFixed(1)}" y="${top - 4 - (i % 2) * 12}" fill="${color}" font-size="10">${escapeXml(label)}</text>`,
    ];
  });
}

function throughputPanel(timeline: Timeline, x: (ms: number) => number, y0: number): string[] {
  const series = ['ok', 'info', 'fail', 'polls'] as const;
  const max = niceMax(Math.max(1, ...timeline.buckets.flatMap((b) => series.map((s) => b[s]))));
  const y = (v: number): number => y0 + panelHeight - (v / max) * panelHeight;
  const parts = [frame(y0, 'operations / s')];
  for (const tick of [0, max / 2, max]) parts.push(yTick(y(tick), formatNumber(tick)));
  for (const name of series) {
    const points = timeline.buckets
      .map((b) => `${x((b.startMs + b.endMs) / 2).toFixed(1)},${y(b[name]).toFixed(1)}`)
      .join(' ');
    const dash = name === 'polls' ? ' stroke-dasharray="4 3"' : '';
    parts.push(
      `<polyline class="series-${name}" fill="none" stroke="${colors[name]}" stroke-width="1.5"${dash} points="${points}"/>`,
    );
  }
  parts.push(
    legend(
      y0,
      series.map((s) => [s === 'polls' ? 'polls' : `send ${s}`, colors[s]]),
    ),
  );
  return parts;
}

function latencyPanel(timeline: Timeline, x: (ms: number) => number, y0: number): string[] {
  const maxMs = niceMax(Math.max(10, ...timeline.latencies.map((p) => p.latencyMs)));
  const logMax = Math.log10(maxMs);
  const y = (ms: number): number =>
    y0 + panelHeight - (Math.log10(Math.max(1, ms)) / logMax) * panelHeight;
  const parts = [frame(y0, 'send latency (ms, log)')];
  for (let tick = 1; tick <= maxMs; tick *= 10) parts.push(yTick(y(tick), formatNumber(tick)));
  for (const point of timeline.latencies) {
    parts.push(
      `<circle class="latency-${point.outcome}" cx="${x(point.startMs).toFixed(1)}" cy="${y(point.latencyMs).toFixed(1)}" r="1.6" fill="${colors[point.outcome]}" fill-opacity="0.6"/>`,
    );
  }
  parts.push(
    legend(
      y0,
      (['ok', 'info', 'fail'] as const).map((s) => [`send ${s}`, colors[s]]),
    ),
  );
  return parts;
}

function frame(y0: number, title: string): string {
  return [
    `<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`,
    `<text x="${left}" y="${y0 + panelHeight + 14}" fill="#333" font-weight="bold">${escapeXml(title)}</text>`,
  ].join('\n');
}

function yTick(y: number, label: string): string {
  return `<line x1="${left - 4}" x2="${left}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#999"/><text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#555">${label}</text>`;
}

function legend(y0: number, entries: [string, string][]): string {
  return entries
    .map(
      ([label, color], i) =>
        `<rect x="${left + plotWidth - 110}" y="${y0 + 8 + i * 14}" width="10" height="3" fill="${color}"/><text x="${left + plotWidth - 96}" y="${y0 + 12 + i * 14}" fill="#333">${escapeXml(label)}</text>`,
    )
    .join('\n');
}

function timeAxis(timeline: Timeline, x: (ms: number) => number, y: number): string[] {
  const seconds = timeline.durationMs / 1000;
  const step = niceMax(seconds / 10);
  const parts: string[] = [];
  for (let s = 0; s <= seconds; s += step) {
    parts.push(
      `<text x="${x(s * 1000).toFixed(1)}" y="${y + 28}" text-anchor="middle" fill="#555">${formatNumber(s)} s</text>`,
    );
  }
  return parts;
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value`. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
