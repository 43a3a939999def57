/**
 * The report page of a run: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * network) with the verdict, the summary table, every checker's result with examples, the
 * fault schedule and the timeline plot.
 */
import type { CheckReport } from '../checkers/index.ts';
import type { History } from '../history/operation.ts';
import { type RunSummary, summaryRows } from './summary.ts';
import { buildTimeline } from './timeline.ts';
import { escapeXml, timelineSvg } from './timeline-svg.ts';

export interface ReportInput {
  readonly title: string;
  /** Shown as a key/value table: seed, duration, nemesis kinds, cluster size... */
  readonly parameters: Readonly<Record<string, string | number>>;
  readonly history: History;
  readonly checks: CheckReport;
  readonly summary: RunSummary;
}

const style = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right}.pass{color:#2e7d32}.fail{color:#c62828}.bad{background:#ffebee}
pre{background:#f5f5f5;padding:6px;max-height:220px;overflow:auto;font-size:11px}`;

export function reportHtml(input: ReportInput): string {
  const timeline = buildTimeline(input.history);
  const verdict = input.summary.valid
    ? '<span class="pass">PASS</span>'
    : '<span class="fail">FAIL</span>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(input.title)}</title><style>${style}</style></head>
<body>
<h1>${escapeXml(input.title)}: ${verdict}</h1>
${keyValueTable(input.parameters)}
<h2>Summary</h2>
${summaryTable(input.summary)}
<h2>Timeline</h2>
${timelineSvg(timeline)}
<h2>Checkers</h2>
${checkerTable(input.checks)}
<h2>Faults</h2>
${faultTable(timeline.faults)}
</body></html>
`;
}

function keyValueTable(parameters: Readonly<Record<string, string | number>>): string {
  const rows = Object.entries(parameters).map(
    ([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(String(v))}</td></tr>`,
  );
  return `<table>${rows.join('')}</table>`;
}

function summaryTable(summary: RunSummary): string {
  const rows = summaryRows(summary).map(([label, value, mustBeZero]) => {
    const bad = mustBeZero && value !== 0 ? ' class="bad"' : '';
    return `<tr${bad}><td>${escapeXml(label)}</td><td class="n">${value}</td><td>${mustBeZero ? 'must be 0' : ''}</td></tr>`;
  });
  return `<table><tr><th>measure</th><th>count</th><th></th></tr>${rows.join('')}</table>`;
}

function checkerTable(checks: CheckReport): string {
  const rows = checks.results.map((r) => {
    const examples =
      r.examples.length > 0 ? `<pre>${escapeXml(JSON.stringify(r.examples, null, 1))}</pre>` : '';
    const verdict = r.valid ? '<span class="pass">ok</span>' : '<span class="fail">FAIL</span>';
    return `<tr${r.valid ? '' : ' class="bad"'}><td>${escapeXml(r.checker)}</td><td>${verdict}</td><td class="n">${r.count}</td><td class="n">${r.checked}</td><td>${examples}</td></tr>`;
  });
  return `<table><tr><th>checker</th><th>verdict</th><th>anomalies</th><th>checked</th><th>examples</th></tr>${rows.join('')}</table>`;
}

function faultTable(faults: ReturnType<typeof buildTimeline>['faults']): string {
  if (faults.length === 0) return '<p>No faults were injected.</p>';
  const rows = faults.map(
    (f) =>
      `<tr><td>${escapeXml(f.kind)}</td><td>${escapeXml(f.targets.join(', '))}</td><td class="n">${(f.startMs / 1000).toFixed(2)}</td><td class="n">${(f.endMs / 1000).toFixed(2)}</td></tr>`,
  );
  return `<table><tr><th>kind</th><th>targets</th><th>from (s)</th><th>to (s)</th></tr>${rows.join('')}</table>`;
}
