import { crc32c, encodeRecordBatch } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { BatchTooLargeError, InvalidBatchError, StorageError } from '../src/index.ts';
import { batchOfCount, directory, readAll, simEnvironment } from './helpers.ts';

async function logWithData() {
  const env = simEnvironment(11);
  const log = await env.open();
  for (let i = 0; i < 10; i++) await log.append(batchOfCount(10, 1000 + i, 50));
  await log.flush();
  return { env, log };
}

/** Everything observable about the log, to show a refused append changed nothing. */
async function snapshot(
  env: Awaited<ReturnType<typeof logWithData>>['env'],
  log: Awaited<ReturnType<typeof logWithData>>['log'],
) {
  await log.read(log.logEndOffset - 1, 1);
  const files = (await env.fs.list(directory)).sort();
  return {
    logEndOffset: log.logEndOffset,
    sizeBytes: log.sizeBytes,
    segments: JSON.stringify(log.segmentInfo()),
    files: files.map((name) => [
      name,
      Buffer.from(env.fs.fileBytes(`${directory}/${name}`)).toString('hex'),
    ]),
    records: await readAll(log),
  };
}

function withCrc(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset).setUint32(17, crc32c(batch, 21, batch.length));
  return batch;
}

const refusals: Array<[string, () => Uint8Array, new (...args: never[]) => StorageError]> = [
  [
    'a flipped bit (bad CRC)',
    () => {
      const b = batchOfCount(3).slice();
      b[70]! ^= 4;
      return b;
    },
    InvalidBatchError,
  ],
  [
    'a damaged CRC field',
    () => {
      const b = batchOfCount(3).slice();
      b[18]! ^= 1;
      return b;
    },
    InvalidBatchError,
  ],
  [
    'a batchLength that disagrees with the bytes',
    () => {
      const b = batchOfCount(3).slice();
      b[11]! -= 1;
      return b;
    },
    InvalidBatchError,
  ],
  ['bytes cut short', () => batchOfCount(3).slice(0, 100), InvalidBatchError],
  [
    'trailing bytes',
    () => {
      const b = batchOfCount(3);
      const c = new Uint8Array(b.length + 5);
      c.set(b);
      return c;
    },
    InvalidBatchError,
  ],
  ['fewer bytes than a header', () => new Uint8Array(20), InvalidBatchError],
  [
    'magic 1',
    () => {
      const b = batchOfCount(3).slice();
      b[16] = 1;
      return b;
    },
    InvalidBatchError,
  ],
  [
    'no records',
    () => {
      const b = batchOfCount(1).slice(0, 61);
      new DataView(b.buffer).setInt32(8, 49);
      new DataView(b.buffer).setInt32(57, 0);
      return withCrc(b);
    },
    InvalidBatchError,
  ],
  [
    'an oversize batch',
    () => encodeRecordBatch([{ key: null, value: new Uint8Array(3000), timestamp: 0 }]),
    BatchTooLargeError,
  ],
];

for (const [what, make, type] of refusals) {
  test(`append refuses ${what} with a typed error and leaves the log unchanged`, async (t) => {
    const { env, log } = await logWithData();
    const before = await snapshot(env, log);
    const error = await t.throwsAsync(log.append(make()), { instanceOf: type });
    t.false(error!.fatal);
    t.false(error!.retriable);
    t.is(log.fenced, null);
    t.deepEqual(await snapshot(env, log), before);
    await log.append(batchOfCount(1)); // and the log goes on working
    t.is(log.logEndOffset, before.logEndOffset + 1);
    await log.close();
  });
}

test('append refuses random garbage, always with a typed error, never changing the log', async (t) => {
  const { env, log } = await logWithData();
  const before = await snapshot(env, log);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
      const outcome = await log.append(bytes).then(
        () => 'accepted',
        (error) => (error instanceof StorageError && !error.fatal ? 'refused' : String(error)),
      );
      return outcome === 'refused';
    }),
    { numRuns: 300 },
  );
  t.deepEqual(await snapshot(env, log), before);
  await log.close();
});

test('append refuses things that are not bytes', async (t) => {
  const { log } = await logWithData();
  await t.throwsAsync(log.append('hello' as unknown as Uint8Array), {
    instanceOf: InvalidBatchError,
  });
  await t.throwsAsync(log.append(null as unknown as Uint8Array), { instanceOf: InvalidBatchError });
  await log.close();
});

test('a refused batch carries the protocol error a broker should answer with', async (t) => {
  const { log } = await logWithData();
  const bad = batchOfCount(3).slice();
  bad[70]! ^= 4;
  const error = await t.throwsAsync(log.append(bad), { instanceOf: InvalidBatchError });
  t.is(error!.protocolError.name, 'CORRUPT_MESSAGE');
  t.is((error!.cause as Error).name, 'CorruptBatchError');
  const big = encodeRecordBatch([{ key: null, value: new Uint8Array(3000), timestamp: 0 }]);
  const tooLarge = await t.throwsAsync(log.append(big), { instanceOf: BatchTooLargeError });
  t.is(tooLarge!.protocolError.name, 'MESSAGE_TOO_LARGE');
  await log.close();
});
