import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { readHistory } from '../src/history/history-file.ts';
import { toyRun } from './support/toy-run.ts';

test('a correct toy log passes under kill -9, pause and partitions through the proxies', async (t) => {
  const result = await toyRun(t, {
    seed: 1,
    // Long enough that a killed leader's restart (seconds under heavy load) leaves time for
    // acknowledged writes: faults keep their planned length even when restarts run late.
    timeSeconds: 20,
    nemesis: [
      'kill',
      'kill-leader',
      'pause',
      'partition-halves',
      'partition-isolate-leader',
      'partition-one-way',
    ],
    log: (line) => t.log(line),
  });
  const failed = result.checks.results.filter((r) => !r.valid);
  t.deepEqual(failed, [], 'a correct system must pass every checker');
  t.true(result.valid);
  // Loose bounds: under heavy load a few seconds see few operations and faults.
  t.log(`${result.summary.acknowledged} acknowledged`);
  t.true(result.summary.acknowledged > 10, `only ${result.summary.acknowledged} acknowledged`);
  t.is(result.summary.lost, 0);
  t.is(result.summary.duplicated, 0);
  const history = await readHistory(join(result.dir, 'history.jsonl'));
  const injected = history.filter((op) => op.f === 'fault-start' && op.type === 'ok');
  t.true(injected.length >= 2, `only ${injected.length} faults injected`);
  t.is(injected.length, history.filter((op) => op.f === 'fault-stop' && op.type === 'ok').length);
  t.true(
    history.some((op) => op.f === 'read-back' && op.type === 'ok'),
    'the final read-back ran',
  );
  for (const file of [
    'history.jsonl',
    'summary.md',
    'report.html',
    'checks.json',
    'schedule.json',
  ]) {
    t.true(existsSync(join(result.dir, file)), file);
  }
  t.regex(readFileSync(join(result.dir, 'summary.md'), 'utf8'), /\*\*PASS\*\*/);
});

test('the checkers catch the toy that acknowledges before writing and loses its tail on kill -9', async (t) => {
  const result = await toyRun(t, {
    seed: 2,
    timeSeconds: 6,
    nemesis: ['kill-leader'],
    bug: 'lose-tail',
  });
  t.false(result.valid);
  const lost = result.checks.results.find((r) => r.checker === 'lost-write')!;
  t.true(lost.count > 0, 'acknowledged records were lost');
  t.true(result.summary.lost > 0);
  t.log(`lost ${lost.count}; examples ${JSON.stringify(lost.examples.slice(0, 2))}`);
  t.regex(readFileSync(join(result.dir, 'summary.md'), 'utf8'), /\*\*FAIL\*\*/);
});
