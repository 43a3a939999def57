import test from 'ava';
import {
  defaultLogConfig,
  InvalidConfigError,
  PartitionLog,
  resolveLogConfig,
} from '../src/index.ts';
import { simEnvironment } from './helpers.ts';

test('defaults are valid and overrides are laid over them', (t) => {
  t.deepEqual(resolveLogConfig(), defaultLogConfig);
  t.is(resolveLogConfig({ retentionMs: -1 }).retentionMs, -1);
});

const invalid: Array<[string, Record<string, unknown>]> = [
  ['segmentBytes', { segmentBytes: 100 }],
  ['segmentBytes', { segmentBytes: 2 ** 31 }],
  ['segmentBytes', { segmentBytes: 4096.5 }],
  ['segmentMs', { segmentMs: 0 }],
  ['indexIntervalBytes', { indexIntervalBytes: 0 }],
  ['maxBatchBytes', { maxBatchBytes: 10 }],
  ['retentionMs', { retentionMs: -2 }],
  ['retentionBytes', { retentionBytes: '1000' }],
  ['deleteRetentionMs', { deleteRetentionMs: -1 }],
  ['cleanupPolicy', { cleanupPolicy: 'delete,compact' }],
  ['compactionKeysMax', { compactionKeysMax: 0 }],
  ['appendBufferBytesMax', { appendBufferBytesMax: Number.NaN }],
  ['maxBatchBytes', { segmentBytes: 4096, maxBatchBytes: 4096 }],
  ['indexIntervalBytes', { segmentBytes: 4096, maxBatchBytes: 1024, indexIntervalBytes: 8192 }],
  ['appendBufferBytesMax', { appendBufferBytesMax: 1000 }],
  ['compactionKeysMax', { compactionKeysMax: 100 }],
  ['segment.bytes', { 'segment.bytes': 1 }],
];

for (const [field, overrides] of invalid) {
  test(`refuses ${JSON.stringify(overrides)} naming ${field}`, (t) => {
    const error = t.throws(() => resolveLogConfig(overrides), { instanceOf: InvalidConfigError });
    t.is(error!.field, field);
    t.is(error!.protocolError.name, 'INVALID_CONFIG');
  });
}

test('open refuses an invalid configuration before touching the disk', async (t) => {
  const env = simEnvironment();
  await t.throwsAsync(
    PartitionLog.open({ directory: '/data/p', fileSystem: env.fs, config: { segmentMs: -5 } }),
    { instanceOf: InvalidConfigError },
  );
  await t.throwsAsync(env.fs.list('/data/p'));
});
