import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { JepsenError } from '../src/errors.ts';
import { parseHistoryLine, readHistory } from '../src/history/history-file.ts';
import { pairOperations } from '../src/history/pairs.ts';
import { HistoryRecorder } from '../src/history/recorder.ts';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'jepsen-history-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the recorder writes JSON lines that read back as the same history', async (t) => {
  const path = join(tempDir(t), 'history.jsonl');
  const recorder = new HistoryRecorder(path, { flushIntervalMs: 0 });
  recorder.record({
    process: 0,
    type: 'invoke',
    f: 'send',
    timeMs: 1,
    value: { topic: 't', value: 1 },
  });
  recorder.record({
    process: 'nemesis',
    type: 'invoke',
    f: 'fault-start',
    timeMs: 1.5,
    value: { kind: 'kill' },
  });
  recorder.record({
    process: 0,
    type: 'ok',
    f: 'send',
    timeMs: 2,
    node: 'n1',
    value: { topic: 't', partition: 0, value: 1, offset: 0 },
  });
  recorder.record({
    process: 'nemesis',
    type: 'ok',
    f: 'fault-start',
    timeMs: 3,
    value: { kind: 'kill', targets: ['n2'] },
  });
  recorder.close();
  const history = await readHistory(path);
  t.is(history.length, 4);
  t.deepEqual(
    history.map((op) => op.index),
    [0, 1, 2, 3],
  );
  t.like(history[2], { type: 'ok', node: 'n1', value: { offset: 0 } });
  const pairs = pairOperations(history);
  t.is(pairs.length, 2);
  t.like(pairs[0], { outcome: 'ok', startMs: 1, endMs: 2 });
});

test('the recorder holds at most its bound in memory and writes when it is reached', (t) => {
  const path = join(tempDir(t), 'history.jsonl');
  const recorder = new HistoryRecorder(path, { bufferedLinesMax: 10, flushIntervalMs: 0 });
  for (let i = 0; i < 25; i++) {
    recorder.record({ process: i, type: 'invoke', f: 'poll', timeMs: i, value: {} });
    t.true(recorder.bufferedLines < 10);
  }
  t.is(recorder.flushCount, 2);
  t.is(readFileSync(path, 'utf8').trim().split('\n').length, 20);
  recorder.close();
  t.is(readFileSync(path, 'utf8').trim().split('\n').length, 25);
});

test('the recorder flushes on its timer so a crashed harness leaves its history', async (t) => {
  const path = join(tempDir(t), 'history.jsonl');
  const recorder = new HistoryRecorder(path, { flushIntervalMs: 20 });
  t.teardown(() => recorder.close());
  recorder.record({ process: 0, type: 'invoke', f: 'poll', timeMs: 0, value: {} });
  const deadline = Date.now() + 5000;
  while (readFileSync(path, 'utf8') === '' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.is(readFileSync(path, 'utf8').trim().split('\n').length, 1);
});

test('a malformed operation is a typed error, not a crash', (t) => {
  const path = join(tempDir(t), 'history.jsonl');
  const recorder = new HistoryRecorder(path, { flushIntervalMs: 0 });
  t.teardown(() => recorder.close());
  const error = t.throws(() =>
    recorder.record({
      process: 0,
      type: 'ok',
      f: 'send',
      timeMs: 0,
      value: { topic: 't', value: 1, offset: -1 },
    }),
  );
  t.true(error instanceof JepsenError);
  t.is((error as JepsenError).code, 'history-malformed');
});

test('malformed history lines are rejected with where and why', async (t) => {
  const bad = [
    'not json',
    '{"index":0,"process":0,"type":"maybe","f":"send","timeMs":0,"value":{"topic":"t","value":1}}',
    '{"index":0,"process":0,"type":"ok","f":"teleport","timeMs":0,"value":{}}',
    '{"index":0,"process":-1,"type":"ok","f":"poll","timeMs":0,"value":{}}',
    '{"index":0,"process":0,"type":"ok","f":"poll","timeMs":0,"value":{"records":[{"topic":"t","partition":0,"offset":1.5,"value":1}]}}',
    '{"index":3,"process":0,"type":"ok","f":"poll","timeMs":0,"value":{}}',
    '{"index":0,"process":0,"type":"ok","f":"create-topic","timeMs":0,"value":{"topic":"t","readBack":"maybe"}}',
    '{"index":0,"process":0,"type":"invoke","f":"send","timeMs":0,"value":{"topic":"t","value":1,"pipelined":2}}',
    '{"index":0,"process":0,"type":"invoke","f":"send","timeMs":0,"value":{"topic":"t","value":1,"pipelined":[{"x":1}]}}',
    '{"index":0,"process":0,"type":"ok","f":"send","timeMs":0,"value":{"topic":"t","value":1,"pipelined":[2],"pipelinedOffsets":[-1]}}',
  ];
  for (const line of bad) {
    const error = t.throws(() => parseHistoryLine(line, 'h:1', 0), undefined, line);
    t.is((error as JepsenError).code, 'history-malformed', line);
  }
  const path = join(tempDir(t), 'bad.jsonl');
  writeFileSync(path, `${bad[1]}\n`);
  const error = await t.throwsAsync(readHistory(path));
  t.regex(error!.message, /bad\.jsonl:1/);
});

test('pairing rejects a process that invokes twice and treats unfinished operations as info', (t) => {
  const invoke = (index: number, process: number) =>
    ({ index, process, type: 'invoke', f: 'poll', timeMs: index, value: {} }) as const;
  t.throws(() => pairOperations([invoke(0, 1), invoke(1, 1)]), { message: /invoked twice/ });
  const pairs = pairOperations([invoke(0, 1), invoke(1, 2)]);
  t.deepEqual(
    pairs.map((p) => p.outcome),
    ['info', 'info'],
  );
});
