import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  Api,
  acksLevels,
  decodeRequest,
  encodeProduceRequestFrame,
  encodeRequest,
  type ProduceRequest,
} from '../../src/index.ts';

/** msgpackr packing the whole frame, as encodeRequest did before produce-frame.ts. */
const whole = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

const request: fc.Arbitrary<ProduceRequest> = fc.record({
  acks: fc.constantFrom(...acksLevels),
  timeoutMs: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  topics: fc.array(
    fc.record({
      name: fc.stringMatching(/^[a-zA-Z0-9._-]{1,60}$/),
      // Past 15 elements msgpack changes its array header width; 20 covers that.
      partitions: fc.array(
        fc.record({
          partition: fc.nat({ max: 999 }),
          // Past 255 and 65,535 bytes msgpackr changes bin header width; we write bin32.
          records: fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.integer({ min: 65_530, max: 70_000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
          ),
        }),
        { maxLength: 20 },
      ),
    }),
    { maxLength: 3 },
  ),
});

test('a Produce frame by reference decodes as the same request packed whole', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 0, max: 5 }),
      request,
      (correlationId, version, body) => {
        const pieces = encodeProduceRequestFrame(correlationId, version, body);
        const packed = whole.pack([0, correlationId, Api.Produce, version, body]);
        // Both decode `records` as Buffers, compared byte by byte.
        assert.deepStrictEqual(whole.unpack(pieces), whole.unpack(packed));
      },
    ),
    { numRuns: 100 },
  );
  t.pass();
});

test('encodeRequest sends Produce by reference, and the broker side decodes and checks it', (t) => {
  const records = Uint8Array.of(1, 2, 3, 250);
  const body: ProduceRequest = {
    acks: 'quorum',
    timeoutMs: 5000,
    topics: [{ name: 'orders', partitions: [{ partition: 3, records }] }],
  };
  const bytes = encodeRequest({ correlationId: 9, api: Api.Produce, version: 1, body });
  t.deepEqual(bytes, encodeProduceRequestFrame(9, 1, body));
  const decoded = decodeRequest(bytes);
  if (!decoded.ok) return t.fail(decoded.error.message);
  t.is(decoded.frame.correlationId, 9);
  const partition = (decoded.frame.body as ProduceRequest).topics[0]?.partitions[0];
  t.deepEqual([...(partition?.records ?? [])], [1, 2, 3, 250]);
});

test('a Produce body of the wrong shape is packed as it is, and the broker refuses it', (t) => {
  const body = {
    acks: 'all',
    timeoutMs: 1,
    topics: [{ name: 't', partitions: [{ partition: 0, records: [1, 2] }] }],
  };
  const bytes = encodeRequest({
    correlationId: 4,
    api: Api.Produce,
    version: 1,
    body: body as never,
  });
  const decoded = decodeRequest(bytes);
  t.false(decoded.ok);
  if (!decoded.ok) t.is(decoded.correlationId, 4);
});
