/**
 * The short real-cluster runs of `npm test`: three node processes started through
 * `@tributary/launch`, Raft links through the harness's proxies, client processes driving
 * `@tributary/client`. One run with every workload (log, groups, metadata) under leader and
 * controller kills, a pause and partitions; one where, after leader kills, all nodes die, two
 * are lost for good and the survivor is recovered with the documented tool, keeping every
 * acks=all record.
 * The runs are serial: together they already load two cores heavily.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { readHistory } from '../src/history/history-file.ts';
import { brokerRun } from './support/broker-run.ts';

/** Covers node start under heavy load, the run itself, recovery and the final reads. */
const testTimeoutMs = 12 * 60_000;

test.serial(
  'the real cluster keeps every acknowledged record, group and topic under kills, a pause and partitions',
  async (t) => {
    t.timeout(testTimeoutMs);
    const result = await brokerRun(t, {
      seed: 1,
      timeSeconds: 75,
      nemesis: [
        'kill-leader',
        'kill-controller',
        'pause',
        'partition-isolate-leader',
        'partition-halves',
      ],
      target: { clients: 2, partitions: 2 },
      log: (line) => t.log(line),
    });
    const failed = result.checks.results.filter((r) => !r.valid);
    t.deepEqual(failed, [], 'every checker passes');
    t.regex(result.recovery, /^recovered/);
    t.true(result.valid);
    t.is(result.summary.lost, 0);
    t.is(result.summary.duplicated, 0);
    t.true(result.summary.acknowledged >= 10, `only ${result.summary.acknowledged} acknowledged`);
    const history = await readHistory(join(result.dir, 'history.jsonl'));
    const ok = (f: string) => history.filter((op) => op.f === f && op.type === 'ok');
    t.true(ok('fault-start').length >= 2, `only ${ok('fault-start').length} faults injected`);
    t.true(ok('assign').length >= 1, 'the group formed at least once');
    t.true(ok('read-back').length >= 4, 'both topics were read back');
    t.deepEqual(
      new Set(ok('describe-topics').map((op) => (op.f === 'describe-topics' ? op.value.node : ''))),
      new Set(['n1', 'n2', 'n3']),
      'every node was asked for its topics',
    );
    for (const name of [
      'committed-undelivered',
      'double-ownership',
      'metadata-divergence',
      'lost-write',
    ]) {
      const checked = result.checks.results.find((r) => r.checker === name)?.checked ?? 0;
      t.true(checked > 0, `${name} examined something`);
    }
    t.regex(readFileSync(join(result.dir, 'summary.md'), 'utf8'), /\*\*PASS\*\*/);
  },
);

test.serial(
  'acks=all records survive the loss of two of three nodes through the force-recovery tool',
  async (t) => {
    t.timeout(testTimeoutMs);
    // Seed 5 and leader kills: the long majority-loss run of seed 5 found acks=all retries
    // acknowledged while a killed replica lacked the record (broker fix 69e2afb).
    const result = await brokerRun(t, {
      seed: 5,
      timeSeconds: 40,
      nemesis: ['kill-leader', 'kill'],
      target: { workloads: ['log'], acks: ['all'], sendShare: 1, clients: 2, partitions: 2 },
      majorityLoss: true,
      log: (line) => t.log(line),
    });
    t.deepEqual(
      result.checks.results.filter((r) => !r.valid),
      [],
    );
    t.true(result.valid);
    t.regex(result.recovery, /^recovered; lose-majority: n\d, n\d lost for good/);
    t.true(result.summary.acknowledged >= 5, `only ${result.summary.acknowledged} acknowledged`);
    const history = await readHistory(join(result.dir, 'history.jsonl'));
    const lossAt = history.find(
      (op) => op.f === 'fault-start' && op.value.kind === 'lose-majority',
    )!.timeMs;
    const readBacks = history.filter((op) => op.f === 'read-back' && op.type === 'ok');
    t.true(
      readBacks.length >= 2 && readBacks.every((op) => op.timeMs > lossAt),
      'read back after the loss',
    );
    const read = new Set(
      readBacks.flatMap((op) =>
        op.f === 'read-back' ? (op.value.records ?? []).map((r) => r.value) : [],
      ),
    );
    const acked = history.filter((op) => op.f === 'send' && op.type === 'ok');
    t.true(
      acked.every((op) => op.f === 'send' && read.has(op.value.value)),
      'every acks=all record survived',
    );
  },
);
