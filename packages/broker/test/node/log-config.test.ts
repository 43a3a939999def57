import { resolveLogConfig } from '@tributary/storage';
import test from 'ava';
import { logConfigFor } from '../../src/node/replica-manager.ts';

test('the segment store accepts what the node accepts, whatever the topic says now', (t) => {
  // Regression: lowering a topic's max.message.bytes made committed larger batches
  // unappliable after a restart, fencing the replica.
  const before = logConfigFor({}, 1024 * 1024);
  const after = logConfigFor({ 'max.message.bytes': '100' }, 1024 * 1024);
  t.is(after.maxBatchBytes, before.maxBatchBytes);
});

test('every combination of node and topic limits gives a valid storage configuration', (t) => {
  for (const messageBytesMax of [1024, 1024 * 1024, 16 * 1024 * 1024]) {
    for (const segmentBytes of ['1024', String(1024 * 1024), String(512 * 1024 * 1024)]) {
      const config = resolveLogConfig(
        logConfigFor(
          { 'segment.bytes': segmentBytes, 'cleanup.policy': 'compact' },
          messageBytesMax,
        ),
      );
      t.true(config.segmentBytes >= config.maxBatchBytes);
    }
  }
});
