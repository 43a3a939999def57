import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigReader, fileSink, fileSource, RecordError, type SourceTask } from '../src/index.ts';
import { sinkRecord, taskContext } from './helpers/task-context.ts';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'connect-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sourceTask(files: string[], log: string[] = []): SourceTask {
  const options = fileSource.parseConfig(new ConfigReader({ files }, 'test'));
  return fileSource.createTask(options, taskContext(log));
}

test('file source: complete lines only, each with the offset after it; a restart resumes there', async (t) => {
  const file = join(tempDir(t), 'in.log');
  writeFileSync(file, 'alpha\r\nbeta\ngam');
  const task = sourceTask([file]);
  await task.start(new Map());
  const first = await task.poll(new AbortController().signal);
  t.deepEqual(
    first.map((r) => r.value),
    ['alpha', 'beta'],
  );
  t.deepEqual(
    first.map((r) => r.position),
    [{ offset: 7 }, { offset: 12 }],
  );
  t.deepEqual(await task.poll(new AbortController().signal), []);
  appendFileSync(file, 'ma\n\ndelta\n');
  t.deepEqual(
    (await task.poll(new AbortController().signal)).map((r) => r.value),
    ['gamma', '', 'delta'],
  );
  const restarted = sourceTask([file]);
  await restarted.start(new Map([[`file:${file}`, { offset: 12 }]]));
  t.deepEqual(
    (await restarted.poll(new AbortController().signal)).map((r) => r.value),
    ['gamma', '', 'delta'],
  );
});

test('file source: a missing file is waited for; a truncated one is read again from its start', async (t) => {
  const file = join(tempDir(t), 'later.log');
  const log: string[] = [];
  const task = sourceTask([file], log);
  await task.start(new Map());
  t.deepEqual(await task.poll(new AbortController().signal), []);
  writeFileSync(file, 'one\ntwo\n');
  t.is((await task.poll(new AbortController().signal)).length, 2);
  truncateSync(file, 0);
  writeFileSync(file, 'x\n');
  t.deepEqual(
    (await task.poll(new AbortController().signal)).map((r) => r.value),
    ['x'],
  );
  t.true(log.some((line) => line.includes('shrank')));
});

test('file source: several files, split across tasks, polled in turn', async (t) => {
  const dir = tempDir(t);
  const files = ['a', 'b', 'c'].map((name) => join(dir, name));
  for (const file of files) writeFileSync(file, `${file}\n`);
  const options = fileSource.parseConfig(new ConfigReader({ files }, 'test'));
  t.deepEqual(
    fileSource.taskConfigs(options, 2).map((c) => c.files.length),
    [2, 1],
  );
  const task = fileSource.createTask(options, taskContext());
  await task.start(new Map());
  const seen = [];
  for (let i = 0; i < 3; i++)
    seen.push(...(await task.poll(new AbortController().signal)).map((r) => r.value));
  t.deepEqual(seen.sort(), [...files].sort());
});

test('file source: a bad stored position is an error, not a silent restart', async (t) => {
  const file = join(tempDir(t), 'x.log');
  const task = sourceTask([file]);
  await t.throwsAsync(task.start(new Map([[`file:${file}`, { offset: -3 }]])), {
    message: /bad file position/,
  });
});

test('file sink: appends values as lines, skips tombstones, rejects a value holding a newline', async (t) => {
  const file = join(tempDir(t), 'out.log');
  const task = fileSink.createTask(
    fileSink.parseConfig(new ConfigReader({ file }, 'test')),
    taskContext(),
  );
  await task.start();
  await task.put([
    sinkRecord(null, 'text'),
    sinkRecord(null, { a: 1 }),
    sinkRecord(null, null),
    sinkRecord(null, Buffer.from('bytes')),
  ]);
  await t.throwsAsync(task.put([sinkRecord(null, 'two\nlines')]), { instanceOf: RecordError });
  await task.stop();
  t.is(readFileSync(file, 'utf8'), 'text\n{"a":1}\nbytes\n');
});
