/**
 * The summary table of a run: how many operations were attempted and how they ended, and the
 * anomaly counts that matter most. Lost and duplicated records must be zero for a run to pass
 * (and so must every other checker's count).
 */

import type { CheckerName } from '../checkers/check-result.ts';
import type { CheckReport } from '../checkers/index.ts';
import { type History, sentValues } from '../history/operation.ts';
import { pairOperations } from '../history/pairs.ts';

export interface RunSummary {
  readonly valid: boolean;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Indeterminate sends that a reader saw (each at most once, else `duplicated`). */
  readonly indeterminateSeen: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly otherAnomalies: number;
  readonly polls: number;
  /** Faults whose start was attempted (`fault-start` invocations). */
  readonly faults: number;
  /** Faults that took effect (`fault-start` ok), by kind; the rest could not start. */
  readonly faultsByKind: Readonly<Record<string, number>>;
  /** Group and metadata operations (commit, assign, create-topic...): attempted and ok, by `f`. */
  readonly otherOperations: Readonly<Record<string, { attempted: number; ok: number }>>;
  readonly durationMs: number;
}

const reorderCheckers: readonly CheckerName[] = [
  'nonmonotonic-send',
  'nonmonotonic-poll',
  'reader-divergence',
];

const otherOperationKinds: ReadonlySet<string> = new Set([
  'commit',
  'fetch-offset',
  'assign',
  'create-topic',
  'delete-topic',
  'describe-topics',
]);

function faultsByKind(history: History): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of history) {
    if (op.f !== 'fault-start' || op.type !== 'ok') continue;
    counts[op.value.kind] = (counts[op.value.kind] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function summarize(history: History, report: CheckReport): RunSummary {
  const count = (name: CheckerName): number =>
    report.results.find((r) => r.checker === name)?.count ?? 0;
  const seen = new Set<unknown>();
  for (const op of history) {
    if (op.type !== 'ok') continue;
    if (op.f === 'poll') for (const r of op.value.records ?? []) seen.add(r.value);
    if (op.f === 'read-back') for (const r of op.value.records ?? []) seen.add(r.value);
  }
  let attempted = 0;
  let acknowledged = 0;
  let failed = 0;
  let indeterminate = 0;
  let indeterminateSeen = 0;
  let polls = 0;
  const otherOperations: Record<string, { attempted: number; ok: number }> = {};
  for (const pair of pairOperations(history)) {
    const f = pair.invoke.f;
    if (f === 'poll') polls++;
    if (otherOperationKinds.has(f)) {
      otherOperations[f] ??= { attempted: 0, ok: 0 };
      const counts = otherOperations[f]!;
      counts.attempted++;
      if (pair.outcome === 'ok') counts.ok++;
    }
    if (f !== 'send') continue;
    // Counted per value: a pipelined send writes several.
    const values = sentValues(pair.invoke.value);
    attempted += values.length;
    if (pair.outcome === 'ok') acknowledged += values.length;
    else if (pair.outcome === 'fail') failed += values.length;
    else {
      indeterminate += values.length;
      indeterminateSeen += values.filter((v) => seen.has(v)).length;
    }
  }
  const named = new Set<CheckerName>(['lost-write', 'duplicate', ...reorderCheckers]);
  const otherAnomalies = report.results
    .filter((r) => !named.has(r.checker))
    .reduce((sum, r) => sum + r.count, 0);
  return {
    valid: report.valid && count('lost-write') === 0 && count('duplicate') === 0,
    attempted,
    acknowledged,
    failed,
    indeterminate,
    indeterminateSeen,
    lost: count('lost-write'),
    duplicated: count('duplicate'),
    reordered: reorderCheckers.reduce((sum, name) => sum + count(name), 0),
    otherAnomalies,
    polls,
    faults: history.filter((op) => op.f === 'fault-start' && op.type === 'invoke').length,
    faultsByKind: faultsByKind(history),
    otherOperations,
    durationMs: history.at(-1)?.timeMs ?? 0,
  };
}

/** Rows of the summary table: label, value, and whether zero is required. */
export function summaryRows(
  summary: RunSummary,
): [label: string, value: number, mustBeZero: boolean][] {
  return [
    ['operations attempted (sends)', summary.attempted, false],
    ['acknowledged', summary.acknowledged, false],
    ['failed (definitely not written)', summary.failed, false],
    ['indeterminate (timed out / unknown)', summary.indeterminate, false],
    ['indeterminate, seen by readers', summary.indeterminateSeen, false],
    ['lost', summary.lost, true],
    ['duplicated', summary.duplicated, true],
    ['reordered', summary.reordered, true],
    ['other anomalies', summary.otherAnomalies, true],
    ['polls', summary.polls, false],
    ['faults attempted', summary.faults, false],
    ...Object.entries(summary.faultsByKind).map(([kind, n]): [string, number, boolean] => [
      `faults injected: ${kind}`,
      n,
      false,
    ]),
    ...Object.entries(summary.otherOperations).map(
      ([f, { attempted, ok }]): [string, number, boolean] => [
        `${f} (ok of ${attempted})`,
        ok,
        false,
      ],
    ),
  ];
}

/** The summary as a Markdown table, as it goes into notes and `summary.md`. */
export function summaryMarkdown(summary: RunSummary): string {
  const lines = ['| measure | count | required |', '| --- | ---: | --- |'];
  for (const [label, value, mustBeZero] of summaryRows(summary)) {
    lines.push(`| ${label} | ${value} | ${mustBeZero ? '0' : ''} |`);
  }
  lines.push(
    '',
    `verdict: **${summary.valid ? 'PASS' : 'FAIL'}** (${(summary.durationMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join('\n')}\n`;
}
