import { ErrorCode } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { addToSequence, ProducerStateTable } from '../../src/partition/producer-state.ts';

const batch = (
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  recordCount = 1,
) => ({
  producerId,
  producerEpoch,
  baseSequence,
  recordCount,
});

test('in-order batches append; a retried batch is a duplicate with its first offset', (t) => {
  const table = new ProducerStateTable();
  table.record(batch(7, 0, 0, 3), 100);
  table.record(batch(7, 0, 3, 2), 103);
  t.deepEqual(table.check(batch(7, 0, 0, 3)), { kind: 'duplicate', baseOffset: 100 });
  t.deepEqual(table.check(batch(7, 0, 3, 2)), { kind: 'duplicate', baseOffset: 103 });
  t.is(table.check(batch(7, 0, 5)).kind, 'append');
});

test('gaps, old epochs and unknown producers are refused with their codes', (t) => {
  const table = new ProducerStateTable();
  table.record(batch(7, 2, 0, 1), 0);
  const code = (c: ReturnType<ProducerStateTable['check']>) =>
    c.kind === 'refused' ? c.error.code : -99;
  t.is(code(table.check(batch(7, 2, 5))), ErrorCode.OutOfOrderSequence.code);
  t.is(code(table.check(batch(7, 1, 1))), ErrorCode.InvalidProducerEpoch.code);
  t.is(code(table.check(batch(8, 0, 4))), ErrorCode.UnknownProducerId.code);
  t.is(code(table.check(batch(7, 3, 1))), ErrorCode.OutOfOrderSequence.code);
  t.is(table.check(batch(7, 3, 0)).kind, 'append');
  t.is(table.check(batch(-1, -1, -1)).kind, 'append');
});

test('sequences wrap from 2^31-1 to 0 as in Kafka', (t) => {
  t.is(addToSequence(2 ** 31 - 1, 1), 0);
  t.is(addToSequence(2 ** 31 - 2, 3), 1);
  const table = new ProducerStateTable();
  table.record(batch(1, 0, 0), 0);
  // Walk the sequence to the edge through a rebuilt image to avoid 2^31 appends.
  const image = table.toImage();
  (image[0] as [number, number, number[][]])[2] = [[2 ** 31 - 2, 2 ** 31 - 1, 5]];
  const edge = ProducerStateTable.fromImage(image);
  t.is(edge.check(batch(1, 0, 0, 2)).kind, 'append');
});

test('only the last five batches are remembered, and the table is bounded', (t) => {
  const table = new ProducerStateTable();
  for (let s = 0; s < 7; s++) table.record(batch(1, 0, s), s);
  t.is(table.check(batch(1, 0, 1)).kind, 'refused');
  t.is(table.check(batch(1, 0, 2)).kind, 'duplicate');
});

test('model: a producer retrying any prefix never gets a record written twice', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(11), { maxLength: 20 }),
      (sizes, retries) => {
        const table = new ProducerStateTable();
        const sent: { seq: number; count: number }[] = [];
        let seq = 0;
        let offset = 0;
        const written: number[] = [];
        const offer = (b: { seq: number; count: number }) => {
          const check = table.check(batch(9, 0, b.seq, b.count));
          if (check.kind === 'append') {
            table.record(batch(9, 0, b.seq, b.count), offset);
            for (let i = 0; i < b.count; i++) written.push(b.seq + i);
            offset += b.count;
          }
        };
        for (const count of sizes) {
          const b = { seq, count };
          sent.push(b);
          seq += count;
          offer(b);
          for (const r of retries)
            if (r < sent.length && sent.length - r <= 5)
              offer(sent[r] as { seq: number; count: number });
        }
        return new Set(written).size === written.length && written.length === seq;
      },
    ),
  );
  t.pass();
});
