import test from 'ava';
import { CorruptBatchError, checkRecordBatch, encodeRecordBatch } from '../../src/index.ts';

test('crcAlreadyVerified skips only the CRC: header damage is still refused', (t) => {
  const batch = encodeRecordBatch([{ key: null, value: new Uint8Array([1, 2, 3]), timestamp: 5 }]);
  const flipped = Uint8Array.from(batch);
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
  t.throws(() => checkRecordBatch(flipped), { instanceOf: CorruptBatchError });
  t.notThrows(() => checkRecordBatch(flipped, { crcAlreadyVerified: true }));
  const badMagic = Uint8Array.from(batch);
  badMagic[16] = 1;
  t.throws(() => checkRecordBatch(badMagic, { crcAlreadyVerified: true }), {
    instanceOf: CorruptBatchError,
  });
});
