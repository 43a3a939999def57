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

interface Replay {
  readonly seed: number;
  /** fast-check's `path` (first number: the run index). */
  readonly path: string;
  /** The commands' `replayPath` from the counterexample. */
  readonly commands: string;
}

/**
 * Replays a reported failure: STORAGE_MODEL_SEED=<seed> STORAGE_MODEL_PATH=<path>
 * STORAGE_MODEL_REPLAY=<replayPath from the counterexample>.
 */
const requestedReplay: Replay | null =
  process.env.STORAGE_MODEL_SEED === undefined
    ? null
    : {
        seed: Number(process.env.STORAGE_MODEL_SEED),
        path: process.env.STORAGE_MODEL_PATH ?? '',
        commands: process.env.STORAGE_MODEL_REPLAY ?? '',
      };

/** Failures found by longer runs, kept as regression cases (few-keys property). */
const regressions: readonly Replay[] = [
  // A torn in-place checkpoint update must leave the other slot readable.
  {
    seed: -1440485253,
    path: '47:0:0:0:0:0:0:0:7:6:0:5:4:4:3:5:4:5:5:5:5:5:8',
    commands: 'Rf/D:N',
  },
  // Truncating into a gap that compaction left must keep the end offset across a crash.
  {
    seed: 1029516788,
    path: '210:1:1:1:1:2:2:2:2:4:3:5:9:12:0:19:17:17:17:16:16:16:17:17:19:19:25:25:26:26:31:32:32:32:3:12:12:12:12:14:14:14:14:17:16:17:21:13:14:14:14:14:14:14:14:14:14:14:14:15:15:15:17:17:18:18:21:17:21:19:18:18:20:20:25:18:18:20:18:18:19:18:25:29:29:31:30:34:39:42:42:48:48:52:58:17:66:68:68:68:33:35:33:34:33:68:70:70:75:75:76:75:76:76:77:76:78:78:78',
    commands: 'wJ///////////I:9/D',
  },
  // ... and a crash in the middle of such a truncation must not lose the end offset either.
  {
    seed: -935291927,
    path: '1575:1:1:1:2:2:2:2:5:13:2:5:2:3:2:7:8:12:14:19:20:26:31:30:39:42:6:21:32:36:6:26:27:2:2:24:26:27:28:28:28:28:27:28:28:30:35:40:29:38:42:41:42:41:44:41:41:41:45:44:45:46:47:50:57:56:58:58:59:59:64:64:64:64:63:65:74:72:75:75:27:27:27:27:27:27:27:27:28:29:32:29:29:32:36:35:38:39:39:45:44:47:45:46:45:47:45:52:33:34:36:38:39:39:39:39:46:52:52:55:54:55:55:55:54:54:58:58:64:62:63:62:62:63:65:64:65:65:65:67:69:67:67:67:69:72:71:77:79:79:85:90:96:97:99:44:97:104:104:103:103:103:103:104:107:106:107:107:107:106:107:111:121:122:123:122:124:128:126:126:126:129:130:130:131:133:143:141:140:140:143:143:150:150:151:149:149:151:151:157:157:158:156:156:159:18:156:156:156:156:156:156:156:156:156:156:173:171:171:170:177:170:174:160:160:157:156:161:164:159',
    commands: 'wG//////////////////////////////////////P:9/////f',
  },
];

function replayParameters(replay: Replay) {
  const runIndex = Number(replay.path.split(':')[0]);
  return { seed: replay.seed, path: replay.path, endOnFailure: true, numRuns: runIndex + 1 };
}

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

function property(keySpace: number, replayPath?: string, fixed: Partial<LogConfig> = {}) {
  return fc.asyncProperty(
    configArbitrary,
    fc.integer(),
    fc.commands(commandArbitraries(keySpace), {
      maxCommands: 60,
      size: 'large',
      ...(replayPath === undefined ? {} : { replayPath }),
    }),
    async (overrides, seed, commands) => {
      // Background writeback every 512 bytes (8 MiB by default), so crashes also meet it mid-flight.
      const config = resolveLogConfig({ writebackBytes: 512, ...overrides, ...fixed });
      const env = simEnvironment(seed, config);
      const real: Real = {
        env,
        config,
        fullCompaction: config.compactionKeysMax >= keySpace + 6,
        log: await env.open(),
        held: [],
      };
      await fc.asyncModelRun(() => ({ model: new LogModel(), real }), commands);
      await real.log.close();
      const reuses = (coverage.get('read.bufferReuses') ?? 0) + env.readBufferPool.reuses;
      coverage.set('read.bufferReuses', reuses);
    },
  );
}

test('the log matches the model under appends, reads, retention, compaction, truncation and crashes (few keys)', async (t) => {
  if (requestedReplay !== null) {
    await fc.assert(property(6, requestedReplay.commands), {
      includeErrorInReport: true,
      ...replayParameters(requestedReplay),
    });
    t.pass();
    return;
  }
  await fc.assert(property(6), { numRuns: runs, includeErrorInReport: true });
  t.log(JSON.stringify(Object.fromEntries([...coverage].sort())));
  t.true((coverage.get('compact.recordsRemoved') ?? 0) > 0, 'compaction removed records');
  t.true((coverage.get('crash.lostUnflushed') ?? 0) > 0, 'crashes lost unflushed data');
  t.true((coverage.get('crash.tornTailTruncated') ?? 0) > 0, 'recovery truncated torn tails');
  t.true((coverage.get('read.bufferReuses') ?? 0) > 0, 'reads reused released buffers');
  t.true((coverage.get('read.held') ?? 0) > 0, 'read results were held unreleased');
});

test('the same with many keys, so the compactor map fills and cleans in several passes', async (t) => {
  if (requestedReplay !== null) {
    t.pass();
    return;
  }
  await fc.assert(property(400), { numRuns: Math.ceil(runs / 2), includeErrorInReport: true });
  t.pass();
});

test('the same with a tail cache smaller than a segment, so reads move between memory and files', async (t) => {
  if (requestedReplay !== null) {
    t.pass();
    return;
  }
  await fc.assert(property(6, undefined, { tailCacheBytes: 300 }), {
    numRuns: Math.ceil(runs / 2),
    includeErrorInReport: true,
  });
  await fc.assert(property(6, undefined, { tailCacheBytes: 0 }), {
    numRuns: Math.ceil(runs / 4),
    includeErrorInReport: true,
  });
  t.pass();
});

for (const [index, regression] of regressions.entries()) {
  test(`regression ${index + 1} (seed ${regression.seed}) still passes`, async (t) => {
    await fc.assert(property(6, regression.commands), {
      includeErrorInReport: true,
      ...replayParameters(regression),
    });
    t.pass();
  });
}
