import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import {
  Api,
  checkResponseBody,
  decodeResponseHead,
  encodeFetchResponseFrame,
  encodeResponse,
  type FetchResponseParts,
  joinFetchResponse,
} from '../../src/index.ts';

const concat = (pieces: readonly Uint8Array[]) => Buffer.concat(pieces);

const batches = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 4 });

const partition = fc.record(
  {
    partition: fc.nat({ max: 999 }),
    error: fc.integer({ min: 0, max: 120 }),
    message: fc.string({ maxLength: 40 }),
    highWatermark: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    logStartOffset: fc.integer({ min: -1, max: 2 ** 40 }),
    records: batches,
    leaderHint: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  },
  { requiredKeys: ['partition', 'error', 'highWatermark', 'logStartOffset', 'records'] },
);

const response: fc.Arbitrary<FetchResponseParts> = fc.record({
  topics: fc.array(
    fc.record({
      name: fc.stringMatching(/^[a-zA-Z0-9._-]{1,60}$/),
      // Past 15 and 65,535 elements msgpack changes array header width; 20 covers the first.
      partitions: fc.array(partition, { maxLength: 20 }),
    }),
    { maxLength: 3 },
  ),
});

test('the pieces of a fetch frame decode as the response with its batches joined', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), response, (correlationId, parts) => {
      const head = decodeResponseHead(concat(encodeFetchResponseFrame(correlationId, parts)));
      assert.equal(head.correlationId, correlationId);
      assert.equal(head.errorCode, 0);
      assert.equal(head.message, null);
      const body = checkResponseBody(Api.Fetch, head.body);
      const expected = joinFetchResponse(parts);
      assert.deepStrictEqual(
        body.topics.map((topic) => ({
          ...topic,
          partitions: topic.partitions.map((p) => ({ ...p, records: Buffer.from(p.records) })),
        })),
        expected.topics.map((topic) => ({
          ...topic,
          partitions: topic.partitions.map((p) => ({ ...p, records: Buffer.from(p.records) })),
        })),
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('a fetch frame decodes like the same response packed whole', (t) => {
  const parts: FetchResponseParts = {
    topics: [
      {
        name: 'orders',
        partitions: [
          {
            partition: 0,
            error: 0,
            highWatermark: 12,
            logStartOffset: 0,
            records: [Uint8Array.of(1, 2, 3), Uint8Array.of(4)],
          },
          {
            partition: 1,
            error: 6,
            message: 'not leader',
            highWatermark: -1,
            logStartOffset: -1,
            records: [],
            leaderHint: 2,
          },
        ],
      },
    ],
  };
  const whole = decodeResponseHead(
    encodeResponse({
      correlationId: 9,
      errorCode: 0,
      message: null,
      body: joinFetchResponse(parts),
    }),
  );
  const pieces = decodeResponseHead(concat(encodeFetchResponseFrame(9, parts)));
  t.deepEqual(
    JSON.stringify(checkResponseBody(Api.Fetch, pieces.body)),
    JSON.stringify(checkResponseBody(Api.Fetch, whole.body)),
  );
  // The batches are passed by reference, not copied.
  const first = parts.topics[0]?.partitions[0]?.records[0];
  t.true(encodeFetchResponseFrame(9, parts).includes(first as Uint8Array));
});
