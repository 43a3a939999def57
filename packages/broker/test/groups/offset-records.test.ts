import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { offsetsPartitionFor } from '../../src/groups/offset-log.ts';
import {
  decodeGroup,
  decodeKey,
  decodeOffset,
  encodeGroup,
  encodeKey,
  encodeOffset,
  OffsetRecordError,
} from '../../src/groups/offset-records.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('golden bytes: offset key and value', (t) => {
  // [1, 0, "g", "t", 3] and [1, 42, "", 1000]
  t.is(
    hex(encodeKey({ kind: 'offset', groupId: 'g', topic: 't', partition: 3 })),
    '950100a167a17403',
  );
  t.is(hex(encodeOffset({ offset: 42, metadata: '', commitTimestampMs: 1000 })), '94012aa0cd03e8');
  t.is(hex(encodeKey({ kind: 'group', groupId: 'g' })), '930101a167');
});

test('keys, offsets and groups round-trip', (t) => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.nat({ max: 9999 }),
      fc.maxSafeNat(),
      (groupId, topic, partition, offset) => {
        const key = { kind: 'offset', groupId, topic, partition } as const;
        const value = { offset, metadata: topic, commitTimestampMs: partition };
        return (
          JSON.stringify(decodeKey(encodeKey(key))) === JSON.stringify(key) &&
          JSON.stringify(decodeOffset(encodeOffset(value))) === JSON.stringify(value)
        );
      },
    ),
  );
  const group = {
    protocolType: 'consumer',
    generationId: 7,
    protocolName: 'cooperative-sticky',
    leaderId: 'm-1',
    stateTimestampMs: 123,
    members: [
      {
        memberId: 'm-1',
        groupInstanceId: 'host-a',
        clientId: 'app',
        clientHost: '10.0.0.1',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 60_000,
        subscription: new Uint8Array([1, 2]),
        assignment: new Uint8Array([3]),
      },
    ],
  };
  const decoded = decodeGroup(encodeGroup(group));
  t.is(decoded.members[0]?.groupInstanceId, 'host-a');
  t.deepEqual([...(decoded.members[0]?.subscription ?? [])], [1, 2]);
  t.deepEqual({ ...decoded, members: [] }, { ...group, members: [] });
  t.true(decodeGroup(encodeGroup({ ...group, rebalancePending: true })).rebalancePending);
});

test('a group value without the owed-round flag (an older record) decodes without it', (t) => {
  const packr = new Packr({ useRecords: false });
  const older = packr.pack([1, 'consumer', 3, 'range', null, 5, []]);
  t.is(decodeGroup(older).rebalancePending, undefined);
  const wrongType = packr.pack([1, 'consumer', 3, 'range', null, 5, [], 'yes']);
  t.throws(() => decodeGroup(wrongType), { instanceOf: OffsetRecordError });
});

test('garbage and unknown versions are refused with OffsetRecordError', (t) => {
  t.throws(() => decodeKey(new Uint8Array([0xc1])), { instanceOf: OffsetRecordError });
  t.throws(() => decodeKey(new Uint8Array([0x93, 0x02, 0x01, 0xa1, 0x67])), {
    instanceOf: OffsetRecordError,
    message: /unknown version 2/,
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      for (const decode of [decodeKey, decodeOffset, decodeGroup]) {
        try {
          decode(bytes);
        } catch (error) {
          if (!(error instanceof OffsetRecordError)) return false;
        }
      }
      return true;
    }),
  );
});

test("offsetsPartitionFor is Java's String.hashCode modulo, as Kafka", (t) => {
  t.is(offsetsPartitionFor('', 50), 0);
  t.is(offsetsPartitionFor('a', 50), 97 % 50);
  // "hello".hashCode() == 99162322 in Java.
  t.is(offsetsPartitionFor('hello', 50), 99162322 % 50);
  // "polygenelubricants".hashCode() == Integer.MIN_VALUE, which Kafka's abs maps to 0.
  t.is(offsetsPartitionFor('polygenelubricants', 50), 0);
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (id, count) => {
      const p = offsetsPartitionFor(id, count);
      return Number.isInteger(p) && p >= 0 && p < count;
    }),
  );
});
