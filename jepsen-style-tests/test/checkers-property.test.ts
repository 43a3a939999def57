import test from 'ava';
import fc from 'fast-check';
import type { CheckerName } from '../src/checkers/check-result.ts';
import {
  checkHistory,
  groupCheckers,
  logCheckers,
  metadataCheckers,
} from '../src/checkers/index.ts';
import type { Operation } from '../src/history/operation.ts';
import { HistoryBuilder } from './support/history-builder.ts';
import { groupMutations, logMutations } from './support/mutations.ts';
import { type GroupPlan, simulateGroup } from './support/simulated-group.ts';
import { type LogPlan, simulateLog } from './support/simulated-log.ts';

const logPlan: fc.Arbitrary<LogPlan> = fc.record({
  partitions: fc.integer({ min: 1, max: 3 }),
  producers: fc.integer({ min: 1, max: 3 }),
  consumers: fc.integer({ min: 1, max: 2 }),
  readers: fc.integer({ min: 2, max: 3 }),
  steps: fc.array(
    fc.record({
      actor: fc.nat(),
      partition: fc.nat(),
      fate: fc.constantFrom('ok', 'ok', 'ok', 'info-applied', 'info-unapplied', 'fail' as const),
      pollMax: fc.integer({ min: 1, max: 4 }),
    }),
    { minLength: 10, maxLength: 80 },
  ),
});

const groupPlan: fc.Arbitrary<GroupPlan> = fc.integer({ min: 1, max: 3 }).chain((partitions) =>
  fc.record({
    partitions: fc.constant(partitions),
    members: fc.integer({ min: 1, max: 3 }),
    recordsPerPartition: fc.integer({ min: 1, max: 8 }),
    generations: fc.array(
      fc.record({
        owners: fc.array(fc.nat(), { minLength: partitions, maxLength: partitions }),
        polled: fc.array(fc.nat({ max: 5 }), { minLength: partitions, maxLength: partitions }),
        commits: fc.array(fc.boolean(), { minLength: partitions, maxLength: partitions }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
);

function failures(history: Operation[], names: readonly CheckerName[]): CheckerName[] {
  return checkHistory(history, names)
    .results.filter((r) => !r.valid)
    .map((r) => r.checker);
}

const runs = { numRuns: 150 };

test('histories of a correct log pass every log checker', (t) => {
  fc.assert(
    fc.property(logPlan, (plan) => {
      const failed = failures(simulateLog(plan), logCheckers);
      if (failed.length > 0) throw new Error(`correct history failed ${failed.join(', ')}`);
    }),
    runs,
  );
  t.pass();
});

for (const { anomaly, mutate } of logMutations) {
  test(`a correct log history with one ${anomaly} anomaly fails ${anomaly}`, (t) => {
    let applied = 0;
    fc.assert(
      fc.property(logPlan, fc.nat(), (plan, choice) => {
        const mutated = mutate(simulateLog(plan), choice);
        fc.pre(mutated !== undefined);
        applied++;
        const failed = failures(mutated, logCheckers);
        if (!failed.includes(anomaly))
          throw new Error(`${anomaly} missed; failed: ${failed.join(', ') || 'none'}`);
      }),
      { ...runs, numRuns: 60 },
    );
    t.true(applied >= 30, `only ${applied} histories had room for the mutation`);
  });
}

test('histories of a correct consumer group pass every group checker', (t) => {
  fc.assert(
    fc.property(groupPlan, (plan) => {
      const failed = failures(simulateGroup(plan), [...groupCheckers, ...logCheckers]);
      if (failed.length > 0) throw new Error(`correct group history failed ${failed.join(', ')}`);
    }),
    runs,
  );
  t.pass();
});

for (const { anomaly, mutate } of groupMutations) {
  test(`a correct group history with one ${anomaly} anomaly fails ${anomaly}`, (t) => {
    let applied = 0;
    fc.assert(
      fc.property(groupPlan, fc.nat(), (plan, choice) => {
        const mutated = mutate(simulateGroup(plan), choice);
        fc.pre(mutated !== undefined);
        applied++;
        const failed = failures(mutated, groupCheckers);
        if (!failed.includes(anomaly))
          throw new Error(`${anomaly} missed; failed: ${failed.join(', ') || 'none'}`);
      }),
      { numRuns: 60 },
    );
    t.true(applied >= 20, `only ${applied} histories had room for the mutation`);
  });
}

type TopicStep = { topic: number; create: boolean; outcome: 'ok' | 'fail' | 'info' };

/** A model of topics under create/delete, and what each node finally says. */
function simulateMetadata(steps: readonly TopicStep[], nodes: number, eitherPresent: boolean) {
  const history = new HistoryBuilder();
  const present = new Set<string>();
  for (const step of steps) {
    const name = `topic-${step.topic}`;
    history.topicOp(0, step.create ? 'create-topic' : 'delete-topic', name, step.outcome);
    const applied = step.outcome === 'ok' || (step.outcome === 'info' && eitherPresent);
    if (applied && step.create) present.add(name);
    if (applied && !step.create) present.delete(name);
  }
  const topics = [...present].sort().map((topic) => ({ topic, partitions: 1 }));
  return { history, topics, present, nodes };
}

const topicSteps = fc.array(
  fc.record({
    topic: fc.integer({ min: 0, max: 4 }),
    create: fc.boolean(),
    outcome: fc.constantFrom('ok', 'ok', 'fail', 'info' as const),
  }),
  { minLength: 1, maxLength: 20 },
);

test('metadata: nodes that agree with a correct model pass; one diverging node fails', (t) => {
  fc.assert(
    fc.property(
      topicSteps,
      fc.boolean(),
      fc.integer({ min: 2, max: 4 }),
      fc.nat(),
      (steps, either, nodes, choice) => {
        const model = simulateMetadata(steps, nodes, either);
        const clean = new HistoryBuilder();
        clean.ops.push(...model.history.ops);
        for (let n = 0; n < nodes; n++) clean.describe(9, `n${n}`, model.topics);
        const cleanFailures = failures(clean.ops, metadataCheckers);
        if (cleanFailures.length > 0) throw new Error('a consistent cluster failed');
        const broken = new HistoryBuilder();
        broken.ops.push(...model.history.ops);
        const odd = choice % nodes;
        for (let n = 0; n < nodes; n++) {
          const topics = n === odd ? divergeFrom(model.topics, choice) : model.topics;
          broken.describe(9, `n${n}`, topics);
        }
        if (!failures(broken.ops, metadataCheckers).includes('metadata-divergence')) {
          throw new Error('a diverging node went unnoticed');
        }
      },
    ),
    runs,
  );
  t.pass();
});

function divergeFrom(topics: { topic: string; partitions: number }[], choice: number) {
  if (topics.length > 0 && choice % 2 === 0)
    return topics.filter((_, i) => i !== choice % topics.length);
  return [...topics, { topic: 'unexpected', partitions: 1 }];
}
