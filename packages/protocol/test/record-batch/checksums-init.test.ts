// Runs in its own process (ava forks per file), so the xxhash module starts uninitialised.
import test from 'ava';
import { checksumsReady, initChecksums, xxhash64 } from '../../src/index.ts';

test('xxhash64 asserts before initChecksums, works after, and init is shared', async (t) => {
  t.false(checksumsReady());
  t.throws(() => xxhash64(new Uint8Array(1)), { message: /before `await initChecksums\(\)`/ });
  const first = initChecksums();
  const second = initChecksums();
  t.is(first, second);
  await first;
  t.true(checksumsReady());
  t.is(xxhash64(new Uint8Array()), 0xef46db3751d8e999n);
  await initChecksums();
});
