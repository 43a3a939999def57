/**
 * Histories of a correct consumer group, for property tests of the group checkers. A log is
 * written first; then, generation by generation, partitions are dealt to members, each member
 * resumes from the committed offset, polls some records and may commit what it polled.
 */
import type { Operation } from '../../src/history/operation.ts';
import { SimulatedHistory, topic } from './simulated-log.ts';

export const group = 'g';

export interface GroupGeneration {
  /** For each partition, which member (modulo the member count) owns it. */
  readonly owners: readonly number[];
  /** For each partition, how many records its owner polls, and whether it commits. */
  readonly polled: readonly number[];
  readonly commits: readonly boolean[];
}

export interface GroupPlan {
  readonly partitions: number;
  readonly members: number;
  readonly recordsPerPartition: number;
  readonly generations: readonly GroupGeneration[];
}

export function simulateGroup(plan: GroupPlan): Operation[] {
  const history = new SimulatedHistory();
  const producer = 0;
  const memberProcess = (m: number): number => 1 + m;
  const readerProcess = 1 + plan.members;
  let value = 0;
  const log: number[][] = [];
  for (let partition = 0; partition < plan.partitions; partition++) {
    log.push([]);
    for (let i = 0; i < plan.recordsPerPartition; i++) {
      const offset = log[partition]!.length;
      log[partition]!.push(value);
      history.push({
        process: producer,
        type: 'invoke',
        f: 'send',
        value: { topic, partition, value },
      });
      history.push({
        process: producer,
        type: 'ok',
        f: 'send',
        value: { topic, partition, value, offset },
      });
      value++;
    }
  }
  const committed = new Array<number>(plan.partitions).fill(0);
  plan.generations.forEach((generation, g) => {
    for (let m = 0; m < plan.members; m++) {
      const partitions = ownedBy(generation, m, plan).map((partition) => ({ topic, partition }));
      const assign = { group, generation: g + 1, member: `m${m}`, partitions };
      history.push({ process: memberProcess(m), type: 'invoke', f: 'assign', value: assign });
      history.push({ process: memberProcess(m), type: 'ok', f: 'assign', value: assign });
      for (const { partition } of partitions) {
        consume({
          history,
          process: memberProcess(m),
          member: `m${m}`,
          generation: g + 1,
          partition,
          log,
          committed,
          plan: generation,
        });
      }
    }
  });
  for (let partition = 0; partition < plan.partitions; partition++) {
    const fetch = { group, topic, partition };
    history.push({ process: readerProcess, type: 'invoke', f: 'fetch-offset', value: fetch });
    history.push({
      process: readerProcess,
      type: 'ok',
      f: 'fetch-offset',
      value: { ...fetch, offset: committed[partition]! },
    });
    const records = log[partition]!.map((v, offset) => ({ offset, value: v }));
    history.push({
      process: readerProcess,
      type: 'invoke',
      f: 'read-back',
      value: { topic, partition },
    });
    history.push({
      process: readerProcess,
      type: 'ok',
      f: 'read-back',
      value: { topic, partition, offsetFirst: 0, records, complete: true },
    });
  }
  return history.ops;
}

function ownedBy(generation: GroupGeneration, member: number, plan: GroupPlan): number[] {
  const owned: number[] = [];
  for (let partition = 0; partition < plan.partitions; partition++) {
    if ((generation.owners[partition] ?? 0) % plan.members === member) owned.push(partition);
  }
  return owned;
}

function consume(c: {
  history: SimulatedHistory;
  process: number;
  member: string;
  generation: number;
  partition: number;
  log: number[][];
  committed: number[];
  plan: GroupGeneration;
}): void {
  const from = c.committed[c.partition]!;
  const count = Math.min(c.plan.polled[c.partition] ?? 0, c.log[c.partition]!.length - from);
  const records = c.log[c.partition]!.slice(from, from + count).map((value, i) => ({
    topic,
    partition: c.partition,
    offset: from + i,
    value,
  }));
  c.history.push({
    process: c.process,
    type: 'invoke',
    f: 'poll',
    value: { group, member: c.member },
  });
  c.history.push({
    process: c.process,
    type: 'ok',
    f: 'poll',
    value: { group, member: c.member, records },
  });
  if (!(c.plan.commits[c.partition] ?? false) || count === 0) return;
  const commit = {
    group,
    topic,
    partition: c.partition,
    offset: from + count,
    member: c.member,
    generation: c.generation,
  };
  c.history.push({ process: c.process, type: 'invoke', f: 'commit', value: commit });
  c.history.push({ process: c.process, type: 'ok', f: 'commit', value: commit });
  c.committed[c.partition] = from + count;
}
