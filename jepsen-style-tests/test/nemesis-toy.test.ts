import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { readHistory } from '../src/history/history-file.ts';
import type { FaultOperation } from '../src/history/operation.ts';
import { HistoryRecorder } from '../src/history/recorder.ts';
import type { FaultKind } from '../src/nemesis/fault-kinds.ts';
import { Nemesis } from '../src/nemesis/nemesis.ts';
import { waitFor } from '../src/runner/sleep.ts';
import { startToyTarget } from './toy/toy-target.ts';

/** Injects each fault once on a real toy cluster and returns what the nemesis recorded. */
async function injectEach(
  t: { teardown(fn: () => Promise<void> | void): void },
  kinds: readonly FaultKind[],
) {
  const base = mkdtempSync(join(tmpdir(), 'jepsen-nemesis-'));
  const target = await startToyTarget({ baseDir: base });
  const recorder = new HistoryRecorder(join(base, 'history.jsonl'), { flushIntervalMs: 0 });
  t.teardown(async () => {
    recorder.close();
    await target.close();
    rmSync(base, { recursive: true, force: true });
  });
  await target.cluster.startAll();
  await target.cluster.waitHealthy({ timeoutMs: 20_000 });
  const startedAt = Date.now();
  const nemesis = new Nemesis({
    context: {
      cluster: target.cluster,
      network: target.network,
      partitions: target.workload.partitions,
    },
    record: (op) => recorder.record(op),
    nowMs: () => Date.now() - startedAt,
  });
  const schedule = kinds.map((kind, i) => ({ atMs: i * 400, durationMs: 300, kind, seed: i + 1 }));
  await nemesis.run(schedule, new AbortController().signal);
  await nemesis.healAll();
  await target.cluster.waitHealthy({ timeoutMs: 20_000 });
  recorder.close();
  const history = await readHistory(join(base, 'history.jsonl'));
  return { target, faults: history as FaultOperation[] };
}

test('every non-leader-aimed fault kind on real processes, then healed', async (t) => {
  const kinds: FaultKind[] = [
    'kill-majority',
    'pause',
    'partition-bridge',
    'partition-one-way',
    'disk-truncate',
    'disk-lose-unsynced',
  ];
  const { target, faults } = await injectEach(t, kinds);
  const started = faults.filter((op) => op.f === 'fault-start' && op.type === 'ok');
  t.deepEqual(
    started.map((op) => op.value.kind),
    kinds,
  );
  t.is(started[0]!.value.targets!.length, 2, 'a majority of three is two');
  t.is(started[4]!.value.targets!.length, 1, 'a minority of three is one');
  t.regex(started[4]!.value.detail ?? '', /truncated|no data file/);
  const stopped = faults.filter((op) => op.f === 'fault-stop' && op.type === 'ok');
  t.is(stopped.length, kinds.length);
  t.regex(stopped[5]!.value.detail ?? '', /truncated, \d+ removed, \d+ emptied/);
  await waitFor(() => target.cluster.nodes().every((n) => target.cluster.isRunning(n.id)), {
    timeoutMs: 10_000,
    what: 'every node to run',
  });
});

test('a slow restart shifts the rest of the schedule: later faults keep their length and quiet gap', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'jepsen-nemesis-'));
  const target = await startToyTarget({ baseDir: base });
  const recorder = new HistoryRecorder(join(base, 'history.jsonl'), { flushIntervalMs: 0 });
  t.teardown(async () => {
    recorder.close();
    await target.close();
    rmSync(base, { recursive: true, force: true });
  });
  await target.cluster.startAll();
  await target.cluster.waitHealthy({ timeoutMs: 20_000 });
  // The real toy cluster, with restarts made as slow as a loaded machine makes the broker's.
  const restartDelayMs = 1500;
  const cluster = Object.create(target.cluster) as typeof target.cluster;
  cluster.start = async (node: string) => {
    await new Promise((resolve) => setTimeout(resolve, restartDelayMs));
    await target.cluster.start(node);
  };
  const startedAt = Date.now();
  const nemesis = new Nemesis({
    context: { cluster, network: target.network, partitions: target.workload.partitions },
    record: (op) => recorder.record(op),
    nowMs: () => Date.now() - startedAt,
  });
  const schedule = [
    { atMs: 0, durationMs: 300, kind: 'kill' as const, seed: 1 },
    { atMs: 500, durationMs: 400, kind: 'pause' as const, seed: 2 },
  ];
  await nemesis.run(schedule, new AbortController().signal);
  await nemesis.healAll();
  recorder.close();
  const faults = (await readHistory(join(base, 'history.jsonl'))) as FaultOperation[];
  const at = (f: string, type: string, kind: string) =>
    faults.find((op) => op.f === f && op.type === type && op.value.kind === kind)!.timeMs;
  const killHealed = at('fault-stop', 'ok', 'kill');
  t.true(killHealed >= 300 + restartDelayMs, 'the restart was slow');
  t.true(at('fault-start', 'invoke', 'pause') >= killHealed + 200, 'the 200 ms quiet gap is kept');
  t.true(
    at('fault-stop', 'invoke', 'pause') - at('fault-start', 'ok', 'pause') >= 400,
    'the pause lasts its planned 400 ms',
  );
});
