/** fast-check generators for records and batch options, shared by the codec tests. */
import fc from 'fast-check';
import type { RecordInput } from '../../src/index.ts';

const bytesOrNull = (maxLength: number) =>
  fc.option(fc.uint8Array({ maxLength }), { nil: null, freq: 5 });

export const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: bytesOrNull(40),
  value: bytesOrNull(300),
  timestamp: fc.oneof(
    fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
    fc.integer({ min: -1, max: 2 ** 40 }),
  ),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 12 }), value: bytesOrNull(20) }), {
    maxLength: 3,
  }),
});

export const recordsArbitrary = fc.array(recordArbitrary, { minLength: 1, maxLength: 30 });
