/**
 * A batch is encoded when it closes, before its sequence is known, and the producer's
 * identity is stamped on at first send. Differential: stamping must give exactly the bytes
 * of encoding with the identity from the start, with a valid CRC.
 */
import { CompressionType, checkRecordBatch, RecordBatchView } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { ProducerBatch } from '../../src/producer/batch.ts';
import { SendTracker } from '../../src/producer/send-tracker.ts';

interface RecordSpec {
  key: Uint8Array | null;
  value: Uint8Array | null;
  timestampDelta: number;
}

function batchOf(records: RecordSpec[], compression: CompressionType): ProducerBatch {
  const batch = new ProducerBatch('t', 0, { acks: 'quorum', compression }, 0, 60_000);
  const tracker = new SendTracker();
  tracker.promise.catch(() => {});
  for (const r of records) {
    const record = { key: r.key, value: r.value, timestamp: 1_700_000_000_000 + r.timestampDelta };
    batch.append(record, 64, tracker);
  }
  tracker.seal();
  return batch;
}

const recordSpec = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 })),
  value: fc.option(fc.uint8Array({ maxLength: 200 })),
  timestampDelta: fc.integer({ min: 0, max: 10_000 }),
});

test('encoded at close and stamped at send: the same bytes as encoding with the identity', (t) => {
  fc.assert(
    fc.property(
      fc.array(recordSpec, { minLength: 1, maxLength: 30 }),
      fc.constantFrom(CompressionType.none, CompressionType.gzip),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 0, max: 32_767 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (records, compression, producerId, producerEpoch, baseSequence) => {
        const identity = { producerId, producerEpoch };
        const closedFirst = batchOf(records, compression);
        closedFirst.close();
        if (closedFirst.bytes === undefined) return false; // encoded at close
        const stamped = Buffer.from(closedFirst.encode(identity, baseSequence));
        const direct = Buffer.from(batchOf(records, compression).encode(identity, baseSequence));
        if (!stamped.equals(direct)) return false;
        checkRecordBatch(stamped); // the CRC covers the stamped fields
        const view = new RecordBatchView(stamped);
        return (
          view.producerId === producerId &&
          view.producerEpoch === producerEpoch &&
          view.baseSequence === baseSequence &&
          closedFirst.baseSequence === baseSequence
        );
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test('a batch sent before is re-encoded for a new sequence, not stamped in place', (t) => {
  const batch = batchOf([{ key: null, value: Buffer.from('a'), timestampDelta: 0 }], 0);
  batch.close();
  const first = batch.encode({ producerId: 7, producerEpoch: 0 }, 0);
  const firstCopy = Buffer.from(first);
  batch.requestTaken(); // a request may still read `first`
  batch.clearSequence();
  const second = batch.encode({ producerId: 7, producerEpoch: 1 }, 0);
  t.not(second, first);
  t.true(Buffer.from(first).equals(firstCopy), 'bytes a request may still read are untouched');
  t.is(new RecordBatchView(second).producerEpoch, 1);
  batch.requestSettled();
});
