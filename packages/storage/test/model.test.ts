/**
 * Model-based property test of the partition log: random sequences of appends, reads,
 * rolls, clock moves, flushes, retention passes, compactions, truncations, reopenings and
 * crashes (between steps and in the middle of any operation, losing what was not durable
 * at a random byte), each checked against the in-memory model. The CI run is sized to a
 * few tens of seconds; `STORAGE_MODEL_RUNS=2000 npx ava packages/storage/test/model.test.ts`
 * runs it longer.
 */
import test from 'ava';
import fc from 'fast-check';
import { type LogConfig, resolveLogConfig } from '../src/index.ts';
import { simEnvironment } from './helpers.ts';
import { LogModel } from './model.ts';
import { commandArbitraries, coverage, type Real } from './model-commands.ts';

const runs = Number(process.env.STORAGE_MODEL_RUNS ?? 60);
/**
 * Replays a reported failure: STORAGE_MODEL_RUNS=<more than the run index>
 * STORAGE_MODEL_SEED=<seed> STORAGE_MODEL_PATH=<path> STORAGE_MODEL_REPLAY=<replayPath>.
 */
const replay =
  process.env.STORAGE_MODEL_SEED === undefined
    ? {}
    : {
        seed: Number(process.env.STORAGE_MODEL_SEED),
        path: process.env.STORAGE_MODEL_PATH ?? '',
        endOnFailure: true,
      };

const configArbitrary: fc.Arbitrary<Partial<LogConfig>> = fc.record({
  segmentBytes: fc.constantFrom(1100, 2048, 4096),
  segmentMs: fc.oneof(fc.constant(1_000_000_000), fc.integer({ min: 500, max: 6000 })),
  indexIntervalBytes: fc.constantFrom(1, 64, 256, 1024),
  maxBatchBytes: fc.constant(1024),
  retentionMs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 8000 })),
  retentionBytes: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 8000 })),
  cleanupPolicy: fc.constantFrom('delete' as const, 'compact' as const, 'compact,delete' as const),
  deleteRetentionMs: fc.integer({ min: 0, max: 4000 }),
  compactionKeysMax: fc.constantFrom(160, 4096),
  appendBufferBytesMax: fc.constantFrom(1036, 8192),
});

function property(keySpace: number) {
  return fc.asyncProperty(
    configArbitrary,
    fc.integer(),
    fc.commands(commandArbitraries(keySpace), {
      maxCommands: 60,
      size: 'large',
      ...(process.env.STORAGE_MODEL_REPLAY === undefined
        ? {}
        : { replayPath: process.env.STORAGE_MODEL_REPLAY }),
    }),
    async (overrides, seed, commands) => {
      const config = resolveLogConfig(overrides);
      const env = simEnvironment(seed, config);
      const real: Real = {
        env,
        config,
        fullCompaction: config.compactionKeysMax >= keySpace + 6,
        log: await env.open(),
      };
      await fc.asyncModelRun(() => ({ model: new LogModel(), real }), commands);
      await real.log.close();
    },
  );
}

test('the log matches the model under appends, reads, retention, compaction, truncation and crashes (few keys)', async (t) => {
  await fc.assert(property(6), { numRuns: runs, includeErrorInReport: true, ...replay });
  t.log(JSON.stringify(Object.fromEntries([...coverage].sort())));
  t.true((coverage.get('compact.recordsRemoved') ?? 0) > 0, 'compaction removed records');
  t.true((coverage.get('crash.lostUnflushed') ?? 0) > 0, 'crashes lost unflushed data');
  t.true((coverage.get('crash.tornTailTruncated') ?? 0) > 0, 'recovery truncated torn tails');
});

test('the same with many keys, so the compactor map fills and cleans in several passes', async (t) => {
  await fc.assert(property(400), {
    numRuns: Math.ceil(runs / 2),
    includeErrorInReport: true,
    ...replay,
  });
  t.pass();
});
