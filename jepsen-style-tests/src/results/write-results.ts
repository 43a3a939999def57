/**
 * Writes the result files of a run next to its history:
 *   history.jsonl  (written by the recorder during the run)
 *   checks.json    every checker's result
 *   summary.json   the summary as data; summary.md the same as a Markdown table
 *   report.html    the self-contained report page
 *   timeline.svg   the plot alone (timeline.png too, when `rsvg-convert` is installed)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckReport } from '../checkers/index.ts';
import type { History } from '../history/operation.ts';
import { reportHtml } from './report-html.ts';
import { type RunSummary, summarize, summaryMarkdown } from './summary.ts';
import { buildTimeline } from './timeline.ts';
import { timelineSvg } from './timeline-svg.ts';

export interface ResultFiles {
  readonly summary: RunSummary;
  readonly reportPath: string;
  readonly summaryPath: string;
  /** Only when `rsvg-convert` is installed; the HTML report never needs it. */
  readonly pngPath: string | undefined;
}

export function writeResults(options: {
  dir: string;
  title: string;
  parameters: Readonly<Record<string, string | number>>;
  history: History;
  checks: CheckReport;
}): ResultFiles {
  const summary = summarize(options.history, options.checks);
  writeFileSync(join(options.dir, 'checks.json'), `${JSON.stringify(options.checks, null, 2)}\n`);
  writeFileSync(
    join(options.dir, 'summary.json'),
    `${JSON.stringify({ parameters: options.parameters, summary }, null, 2)}\n`,
  );
  const summaryPath = join(options.dir, 'summary.md');
  const parameterLines = Object.entries(options.parameters).map(([k, v]) => `- ${k}: ${v}`);
  writeFileSync(
    summaryPath,
    `# ${options.title}\n\n${summaryMarkdown(summary)}\n${parameterLines.join('\n')}\n`,
  );
  const reportPath = join(options.dir, 'report.html');
  writeFileSync(reportPath, reportHtml({ ...options, summary }));
  const svgPath = join(options.dir, 'timeline.svg');
  writeFileSync(svgPath, timelineSvg(buildTimeline(options.history)));
  return { summary, reportPath, summaryPath, pngPath: renderPng(svgPath) };
}

/** A PNG of the timeline when a rasterizer happens to be installed; best effort by design. */
function renderPng(svgPath: string): string | undefined {
  const pngPath = svgPath.replace(/\.svg$/, '.png');
  const result = spawnSync('rsvg-convert', [svgPath, '-o', pngPath], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return result.status === 0 ? pngPath : undefined;
}
