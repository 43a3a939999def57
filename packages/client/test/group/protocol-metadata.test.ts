import test from 'ava';
import fc from 'fast-check';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  MetadataDecodeError,
} from '../../src/group/protocol-metadata.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('golden bytes: subscription and assignment', (t) => {
  const subscription = encodeSubscription({
    topics: ['t'],
    ownedPartitions: [{ topic: 't', partitions: [1] }],
    generationId: 2,
    userData: null,
    rackId: null,
  });
  // [1, ["t"], [["t", [1]]], 2, nil, nil]
  t.is(hex(subscription), '960191a1749192a1749101 02c0c0'.replace(' ', ''));
  t.is(
    hex(encodeAssignment({ partitions: [{ topic: 't', partitions: [0, 1] }], userData: null })),
    '93019192a174920001c0',
  );
  t.deepEqual(decodeAssignment(new Uint8Array(0)), { partitions: [], userData: null });
});

test('round trip, and newer versions with extra fields still decode', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 5 }),
      fc.array(fc.nat({ max: 100 }), { maxLength: 10 }),
      fc.integer({ min: -1, max: 1000 }),
      (topics, partitions, generationId) => {
        const subscription = {
          topics,
          ownedPartitions: topics.map((topic) => ({ topic, partitions })),
          generationId,
          userData: null,
          rackId: 'r1',
        };
        return (
          JSON.stringify(decodeSubscription(encodeSubscription(subscription))) ===
          JSON.stringify(subscription)
        );
      },
    ),
  );
  // Version 2 appending a field is read by a version-1 reader.
  const v2 = new Uint8Array([0x94, 0x02, 0x90, 0xc0, 0x2a]);
  t.deepEqual(decodeAssignment(v2).partitions, []);
});

test('malformed metadata is a MetadataDecodeError, never a crash', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
      for (const decode of [decodeSubscription, decodeAssignment]) {
        try {
          decode(bytes);
        } catch (error) {
          if (!(error instanceof MetadataDecodeError)) return false;
        }
      }
      return true;
    }),
  );
  t.pass();
});
