import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { checkHistory } from '../src/checkers/index.ts';
import type { Operation, OperationInput } from '../src/history/operation.ts';
import { Prng } from '../src/prng.ts';
import { reportHtml } from '../src/results/report-html.ts';
import { summarize, summaryMarkdown } from '../src/results/summary.ts';
import { buildTimeline } from '../src/results/timeline.ts';
import { niceMax } from '../src/results/timeline-svg.ts';
import { writeResults } from '../src/results/write-results.ts';
import { HistoryBuilder } from './support/history-builder.ts';

/**
 * 20 s of sends by 4 producers with a 5 s fault window in the middle, during which sends
 * time out; a read-back at the end sees every acknowledged value and one indeterminate one.
 */
function syntheticHistory(): Operation[] {
  const prng = new Prng(7);
  const events: OperationInput[] = [];
  const stored: number[] = [];
  let value = 0;
  events.push({
    process: 'nemesis',
    type: 'invoke',
    f: 'fault-start',
    timeMs: 8000,
    value: { kind: 'kill' },
  });
  events.push({
    process: 'nemesis',
    type: 'ok',
    f: 'fault-start',
    timeMs: 8001,
    value: { kind: 'kill', targets: ['n2'] },
  });
  events.push({
    process: 'nemesis',
    type: 'invoke',
    f: 'fault-stop',
    timeMs: 13000,
    value: { kind: 'kill' },
  });
  events.push({
    process: 'nemesis',
    type: 'ok',
    f: 'fault-stop',
    timeMs: 13010,
    value: { kind: 'kill', targets: ['n2'] },
  });
  for (let process = 0; process < 4; process++) {
    let timeMs = process;
    let id = process;
    while (timeMs < 20_000) {
      const faulted = timeMs > 8000 && timeMs < 13_000;
      const latencyMs = faulted ? 1000 : prng.intBetween(1, 40);
      const send = { topic: 't', partition: 0, value: value++ };
      events.push({ process: id, type: 'invoke', f: 'send', timeMs, value: send });
      if (faulted) {
        events.push({
          process: id,
          type: 'info',
          f: 'send',
          timeMs: timeMs + latencyMs,
          value: send,
          error: 'timeout',
        });
        if (send.value % 7 === 0) stored.push(send.value);
        id += 100; // a process is not reused after an indeterminate operation
      } else {
        stored.push(send.value);
        events.push({
          process: id,
          type: 'ok',
          f: 'send',
          timeMs: timeMs + latencyMs,
          value: { ...send, offset: 0 },
        });
      }
      timeMs += latencyMs + prng.intBetween(0, 20);
    }
  }
  events.sort((a, b) => a.timeMs - b.timeMs);
  // Offsets are assigned in completion order, as the log would.
  const order = new Map<number, number>();
  const ordered = events.filter(
    (e) =>
      e.f === 'send' &&
      e.type !== 'invoke' &&
      stored.includes((e.value as { value: number }).value),
  );
  ordered.forEach((e, i) => {
    order.set((e.value as { value: number }).value, i);
  });
  const withOffsets = events.map((e) =>
    e.f === 'send' && e.type === 'ok'
      ? { ...e, value: { ...e.value, offset: order.get(e.value.value as number)! } }
      : e,
  );
  const records = ordered.map((e, offset) => ({
    offset,
    value: (e.value as { value: number }).value,
  }));
  withOffsets.push({
    process: 999,
    type: 'invoke',
    f: 'read-back',
    timeMs: 20_500,
    value: { topic: 't', partition: 0 },
  });
  withOffsets.push({
    process: 999,
    type: 'ok',
    f: 'read-back',
    timeMs: 20_600,
    value: { topic: 't', partition: 0, offsetFirst: 0, records, complete: true },
  });
  return withOffsets.map((e, index) => ({ ...e, index }) as Operation);
}

test('the synthetic history is clean and the summary counts it', (t) => {
  const history = syntheticHistory();
  const checks = checkHistory(history);
  t.true(checks.valid, JSON.stringify(checks.results.filter((r) => !r.valid)));
  const summary = summarize(history, checks);
  t.true(summary.valid);
  t.true(summary.acknowledged > 1000);
  t.true(summary.indeterminate >= 4);
  t.is(summary.attempted, summary.acknowledged + summary.indeterminate + summary.failed);
  t.true(summary.indeterminateSeen >= 1 && summary.indeterminateSeen < summary.indeterminate);
  t.is(summary.lost + summary.duplicated + summary.reordered, 0);
  t.is(summary.faults, 1);
  t.deepEqual(summary.faultsByKind, { kill: 1 });
  t.regex(summaryMarkdown(summary), /\| lost \| 0 \| 0 \|/);
  t.regex(summaryMarkdown(summary), /\| faults injected: kill \| 1 \|/);
});

test('the summary counts group and metadata operations and faults that could not start', (t) => {
  const h = new HistoryBuilder()
    .commit(1, 'g', 0, 3)
    .commit(1, 'g', 0, 4, 'info')
    .topicOp(2, 'create-topic', 'a')
    .fault('pause', ['n1'], 'fault-start')
    .invoke('nemesis', { f: 'fault-start', value: { kind: 'kill-leader' } })
    .complete('nemesis', 'info', { f: 'fault-start', value: { kind: 'kill-leader' } });
  const summary = summarize(h.ops, checkHistory(h.ops, []));
  t.deepEqual(summary.otherOperations, {
    commit: { attempted: 2, ok: 1 },
    'create-topic': { attempted: 1, ok: 1 },
  });
  t.is(summary.faults, 2);
  t.deepEqual(summary.faultsByKind, { pause: 1 });
  t.regex(summaryMarkdown(summary), /\| commit \(ok of 2\) \| 1 \|/);
});

test('the timeline buckets throughput by second and keeps the fault window', (t) => {
  const timeline = buildTimeline(syntheticHistory());
  t.is(timeline.faults.length, 1);
  t.like(timeline.faults[0], { kind: 'kill', startMs: 8000, endMs: 13010, targets: ['n2'] });
  const during = timeline.buckets.find((b) => b.startMs === 10_000)!;
  const before = timeline.buckets.find((b) => b.startMs === 3000)!;
  t.is(during.ok, 0);
  t.true(before.ok > 50);
  t.true(timeline.latencies.some((p) => p.outcome === 'info' && p.latencyMs === 1000));
});

test('the report is one self-contained HTML page with the plot and the fault shading', (t) => {
  const history = syntheticHistory();
  const checks = checkHistory(history);
  const html = reportHtml({
    title: 'synthetic',
    parameters: { seed: 7 },
    history,
    checks,
    summary: summarize(history, checks),
  });
  t.regex(html, /^<!doctype html>/);
  t.regex(html, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.is((html.match(/<rect class="fault"/g) ?? []).length, 1);
  t.regex(html, /<polyline class="series-ok"/);
  t.regex(html, /<circle class="latency-info"/);
  t.regex(html, /PASS/);
  // Nothing to fetch: no scripts, stylesheets, images or URLs other than the SVG namespace.
  for (const forbidden of [
    /<script/i,
    /<link/i,
    /<img/i,
    /\bsrc=/i,
    /\bhref=/i,
    /url\(/i,
    /@import/i,
  ]) {
    t.notRegex(html, forbidden);
  }
  t.deepEqual(html.match(/https?:\/\/[^"]*/g), ['http://www.w3.org/2000/svg']);
});

test('a failing run shows FAIL and the anomalies in the report', (t) => {
  const history = syntheticHistory();
  const last = history.at(-1)!;
  if (last.f !== 'read-back') throw new Error('expected the read-back last');
  const records = (last.value.records ?? []).slice(0, -1);
  const broken = [...history.slice(0, -1), { ...last, value: { ...last.value, records } }];
  const checks = checkHistory(broken);
  const summary = summarize(broken, checks);
  t.false(summary.valid);
  t.is(summary.lost, 1);
  const html = reportHtml({ title: 'broken', parameters: {}, history: broken, checks, summary });
  t.regex(html, /FAIL/);
  t.regex(html, /<tr class="bad"><td>lost<\/td><td class="n">1<\/td>/);
});

test('writeResults writes checks, summary and report files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jepsen-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const history = syntheticHistory();
  const files = writeResults({
    dir,
    title: 'synthetic',
    parameters: { seed: 7 },
    history,
    checks: checkHistory(history),
  });
  const expected = ['checks.json', 'report.html', 'summary.json', 'summary.md', 'timeline.svg'];
  t.deepEqual(
    readdirSync(dir)
      .filter((f) => f !== 'timeline.png')
      .sort(),
    expected,
  );
  t.true(files.summary.valid);
  t.regex(readFileSync(files.summaryPath, 'utf8'), /verdict: \*\*PASS\*\*/);
});

test('niceMax rounds up to 1, 2 or 5 times a power of ten', (t) => {
  t.deepEqual([0.3, 1, 3, 7, 12, 999].map(niceMax), [0.5, 1, 5, 10, 20, 1000]);
});
