/** The workload generators: group members' life cycle, metadata names, combined workloads. */
import test from 'ava';
import { type CompletionType, type SendValue, sentValues } from '../src/history/operation.ts';
import { Prng } from '../src/prng.ts';
import type { GeneratorContext, OperationRequest, Workload } from '../src/runner/workload.ts';
import { combineWorkloads } from '../src/workloads/combined-workload.ts';
import { groupWorkload } from '../src/workloads/group-workload.ts';
import { logWorkload } from '../src/workloads/log-workload.ts';
import { metadataWorkload } from '../src/workloads/metadata-workload.ts';
import { ValueSource } from '../src/workloads/value-source.ts';

/** Drives one client slot of a workload: asks, "executes" with the outcome chosen, repeats. */
function drive(
  workload: Workload,
  clientIndex: number,
  steps: number,
  outcome: (request: OperationRequest) => CompletionType = () => 'ok',
  prng = new Prng(1),
  msPerStep = 100,
): OperationRequest[] {
  const issued: OperationRequest[] = [];
  let previous: GeneratorContext['previous'];
  for (let step = 0; step < steps; step++) {
    const request = workload.nextOperation({
      processId: clientIndex,
      clientIndex,
      ...(previous ? { previous } : {}),
      prng,
      elapsedMs: step * msPerStep,
    });
    previous = undefined;
    if (request === undefined) continue;
    issued.push(request);
    previous = { f: request.f, type: outcome(request) };
  }
  return issued;
}

const group = (options: Partial<Parameters<typeof groupWorkload>[0]> = {}) =>
  groupWorkload({
    clientModule: 'm',
    topic: 'g-topic',
    group: 'g',
    partitions: 3,
    producers: 1,
    members: 2,
    readers: 2,
    ...options,
  });

test('log: some sends are pipelined, 2 to 5 unique values to one partition; none by default', (t) => {
  const log = (pipelinedShare?: number) =>
    logWorkload({
      clientModule: 'unused',
      topic: 't',
      partitions: 3,
      clientCount: 1,
      readers: 1,
      ...(pipelinedShare === undefined ? {} : { pipelinedShare }),
    });
  const sends = (requests: OperationRequest[]) =>
    requests.filter((r) => r.f === 'send').map((r) => r.value as SendValue);
  const pipelined = sends(drive(log(0.5), 0, 400)).filter((s) => s.pipelined !== undefined);
  t.true(pipelined.length > 50);
  for (const send of pipelined) {
    t.true(send.pipelined!.length >= 1 && send.pipelined!.length <= 4);
    t.true(Number.isInteger(send.partition));
  }
  const all = sends(drive(log(0.5), 0, 400)).flatMap(sentValues);
  t.is(new Set(all).size, all.length, 'values are unique across pipelined sends');
  t.false(sends(drive(log(), 0, 200)).some((s) => s.pipelined !== undefined));
});

test('group: producers send unique values; members join first, then poll, commit and read offsets', (t) => {
  const workload = group();
  const sends = drive(workload, 0, 50);
  t.true(sends.every((r) => r.f === 'send'));
  const values = sends.map((r) => (r.f === 'send' ? r.value.value : undefined));
  t.is(new Set(values).size, values.length);
  const member = drive(workload, 1, 400, () => 'ok', new Prng(1), 10);
  t.is(member[0]!.f, 'join');
  const kinds = new Set(member.map((r) => r.f));
  for (const f of ['poll', 'commit', 'fetch-offset'] as const) t.true(kinds.has(f), f);
});

test('group: a member that left or crashed stays out for a while, then joins again', (t) => {
  const workload = group({ leaveShare: 0.2, crashShare: 0.2, rejoinMsMin: 500, rejoinMsMax: 500 });
  const issued = drive(workload, 1, 300, () => 'ok', new Prng(3), 100);
  const exits = issued.flatMap((r, i) => (r.f === 'leave' || r.f === 'crash' ? [i] : []));
  t.true(exits.length > 2);
  for (const i of exits.slice(0, -1))
    t.is(issued[i + 1]!.f, 'join', 'the next step after an exit is a join');
  const joins = issued.filter((r) => r.f === 'join').length;
  t.true(joins >= exits.length, 'every exit is followed by a rejoin');
  // with 100 ms per step and a 500 ms rejoin delay, the generator rests in between
  t.true(issued.length < 300);
});

test('group: a failed join is tried again later; the final reads read back and read offsets', (t) => {
  const workload = group({ rejoinMsMin: 100, rejoinMsMax: 100 });
  const issued = drive(workload, 1, 20, (r) => (r.f === 'join' ? 'fail' : 'ok'));
  t.true(issued.length > 2);
  t.true(issued.every((r) => r.f === 'join'));
  const reads = workload.finalReads();
  t.is(reads.length, 2);
  t.deepEqual(
    reads[0]!.map((r) => r.f),
    ['read-back', 'read-back', 'read-back', 'fetch-offset', 'fetch-offset', 'fetch-offset'],
  );
  t.deepEqual(
    reads[1]!.map((r) => r.f),
    ['read-back', 'read-back', 'read-back'],
  );
});

test('metadata: names are never reused; only acknowledged creations are deleted, once', (t) => {
  const workload = metadataWorkload({
    clientModule: 'm',
    prefix: 'meta',
    clientCount: 1,
    nodes: ['n1', 'n2', 'n3'],
    pauseMs: 0,
  });
  const prng = new Prng(7);
  const outcomes = new Map<string, CompletionType>();
  const issued = drive(
    workload,
    0,
    300,
    (r) => {
      const type: CompletionType = prng.pick(['ok', 'ok', 'info', 'fail']);
      if (r.f === 'create-topic') outcomes.set(r.value.topic, type);
      return type;
    },
    new Prng(8),
  );
  const creates = issued.flatMap((r) => (r.f === 'create-topic' ? [r.value.topic] : []));
  const deletes = issued.flatMap((r) => (r.f === 'delete-topic' ? [r.value.topic] : []));
  t.is(new Set(creates).size, creates.length);
  t.is(new Set(deletes).size, deletes.length);
  t.true(deletes.length > 10);
  for (const topic of deletes) t.is(outcomes.get(topic), 'ok', `${topic} was created`);
  t.deepEqual(workload.finalReads(), [
    ['n1', 'n2', 'n3'].map((node) => ({ f: 'describe-topics', value: { node } })),
  ]);
});

test('combined: each workload answers for its own slots; setups, reads and checkers are joined', (t) => {
  const values = new ValueSource();
  const log = logWorkload({
    clientModule: 'm',
    topic: 'l',
    partitions: 2,
    clientCount: 2,
    readers: 2,
    createTopic: true,
    values,
  });
  const groups = group({ values });
  const meta = metadataWorkload({
    clientModule: 'm',
    prefix: 'x',
    clientCount: 1,
    nodes: ['n1'],
    pauseMs: 0,
  });
  const all = combineWorkloads([log, groups, meta]);
  t.is(all.clientCount, 2 + 3 + 1);
  t.is(all.name, 'log+groups+metadata');
  t.deepEqual(
    all.setup().map((r) => r.f),
    ['create-topic', 'create-topic'],
  );
  t.true(drive(all, 1, 20).every((r) => r.f === 'send' || r.f === 'poll'));
  t.true(
    drive(all, 2, 20).every((r) => r.f === 'send'),
    'slot 2 is the group producer',
  );
  t.is(drive(all, 3, 1)[0]!.f, 'join', 'slot 3 is the first group member');
  t.is(drive(all, 5, 1)[0]!.f, 'create-topic', 'slot 5 is the metadata client');
  const reads = all.finalReads();
  t.is(reads.length, 2);
  t.true(reads[0]!.some((r) => r.f === 'describe-topics'));
  t.true(reads[1]!.every((r) => r.f === 'read-back'));
  t.deepEqual(
    new Set(all.checkers),
    new Set([...log.checkers, ...groups.checkers, ...meta.checkers]),
  );
  t.is(all.partitions.length, 2 + 3);
  const sent = [...drive(all, 0, 50), ...drive(all, 2, 50)].flatMap((r) =>
    r.f === 'send' ? [r.value.value] : [],
  );
  t.is(new Set(sent).size, sent.length, 'values stay unique across workloads');
});
