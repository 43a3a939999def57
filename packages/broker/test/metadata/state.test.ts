import { ErrorCode } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { placeReplicas } from '../../src/metadata/placement.ts';
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
  MetadataRecordError,
} from '../../src/metadata/records.ts';
import { type MetadataChange, MetadataState } from '../../src/metadata/state.ts';

function register(nodeId: number): MetadataRecord {
  return {
    type: 'register-broker',
    nodeId,
    host: '127.0.0.1',
    port: 9000 + nodeId,
    peerUrl: `ws://127.0.0.1:${9100 + nodeId}`,
    incarnation: 'a',
  };
}

function applyAll(state: MetadataState, records: MetadataRecord[]) {
  return records.map((r) =>
    state.apply(state.appliedIndex + 1, decodeMetadataRecord(encodeMetadataRecord(r))),
  );
}

test('topics get fresh, never reused group ids', (t) => {
  const state = new MetadataState();
  applyAll(state, [register(1), register(2)]);
  const [created, , recreated] = applyAll(state, [
    {
      type: 'create-topic',
      name: 'a',
      assignment: [
        [1, 2],
        [2, 1],
      ],
      configs: {},
      internal: false,
    },
    { type: 'delete-topic', name: 'a' },
    { type: 'create-topic', name: 'a', assignment: [[1]], configs: {}, internal: false },
  ]);
  t.true(created?.ok);
  t.true(recreated?.ok);
  t.deepEqual(
    state.topics.get('a')?.partitions.map((p) => p.groupId),
    [3],
  );
  t.is(state.partitionsByGroup.size, 1);
});

test('refusals: duplicate topic, unknown broker, bad config, stale leader term', (t) => {
  const state = new MetadataState();
  applyAll(state, [register(1)]);
  const results = applyAll(state, [
    { type: 'create-topic', name: 'a', assignment: [[1]], configs: {}, internal: false },
    { type: 'create-topic', name: 'a', assignment: [[1]], configs: {}, internal: false },
    { type: 'create-topic', name: 'b', assignment: [[1, 5]], configs: {}, internal: false },
    {
      type: 'create-topic',
      name: 'c',
      assignment: [[1]],
      configs: { 'retention.ms': 'soon' },
      internal: false,
    },
    { type: 'partition-leader', groupId: 1, leader: 1, term: 4 },
    { type: 'partition-leader', groupId: 1, leader: 1, term: 3 },
  ]);
  const codes = results.map((r) => (r.ok ? 0 : r.error.code));
  t.deepEqual(codes, [
    0,
    ErrorCode.TopicAlreadyExists.code,
    ErrorCode.InvalidReplicaAssignment.code,
    ErrorCode.InvalidConfig.code,
    0,
    ErrorCode.InvalidRequest.code,
  ]);
  t.is(state.partitionsByGroup.get(1)?.leaderTerm, 4);
});

test('a broker holding replicas cannot be unregistered', (t) => {
  const state = new MetadataState();
  applyAll(state, [register(1), register(2)]);
  applyAll(state, [
    { type: 'create-topic', name: 'a', assignment: [[1]], configs: {}, internal: false },
  ]);
  const [held, free] = applyAll(state, [
    { type: 'unregister-broker', nodeId: 1 },
    { type: 'unregister-broker', nodeId: 2 },
  ]);
  t.false(held?.ok);
  t.true(free?.ok);
});

test('changes are reported for the node to act on', (t) => {
  const state = new MetadataState();
  const changes: MetadataChange[] = [];
  state.apply(1, register(1), changes);
  state.apply(
    2,
    { type: 'create-topic', name: 'a', assignment: [[1]], configs: {}, internal: false },
    changes,
  );
  state.apply(3, { type: 'reassign-partition', groupId: 1, targetReplicas: [1] }, changes);
  t.deepEqual(
    changes.map((c) => c.kind),
    ['broker-registered', 'topic-created', 'reassignment-started'],
  );
});

test('malformed records are refused on encode and decode', (t) => {
  t.throws(() => encodeMetadataRecord({ type: 'delete-topic', name: 'a/b' }), {
    instanceOf: MetadataRecordError,
  });
  t.throws(() => decodeMetadataRecord(new Uint8Array([0xc1])), { instanceOf: MetadataRecordError });
  t.throws(() => decodeMetadataRecord(new Uint8Array([0x92, 0x09, 0x80])), {
    instanceOf: MetadataRecordError,
  });
});

const recordArbitrary: fc.Arbitrary<MetadataRecord> = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map(register),
  fc.record({
    type: fc.constant('create-topic' as const),
    name: fc.constantFrom('a', 'b', 'c'),
    assignment: fc.array(
      fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      { minLength: 1, maxLength: 3 },
    ),
    configs: fc.constant({}),
    internal: fc.boolean(),
  }),
  fc.record({ type: fc.constant('delete-topic' as const), name: fc.constantFrom('a', 'b', 'c') }),
  fc.record({
    type: fc.constant('partition-leader' as const),
    groupId: fc.integer({ min: 1, max: 6 }),
    leader: fc.integer({ min: 1, max: 4 }),
    term: fc.nat(5),
  }),
  fc.record({
    type: fc.constant('allocate-producer-ids' as const),
    nodeId: fc.integer({ min: 1, max: 4 }),
    count: fc.integer({ min: 1, max: 10 }),
  }),
);

test('apply is deterministic and snapshots restore the same state', (t) => {
  fc.assert(
    fc.property(fc.array(recordArbitrary, { maxLength: 40 }), (records) => {
      const a = new MetadataState();
      const b = new MetadataState();
      applyAll(a, records);
      applyAll(b, records);
      const restored = MetadataState.decodeSnapshot(a.encodeSnapshot());
      return (
        Buffer.from(a.encodeSnapshot()).equals(Buffer.from(b.encodeSnapshot())) &&
        Buffer.from(restored.encodeSnapshot()).equals(Buffer.from(a.encodeSnapshot()))
      );
    }),
  );
  t.pass();
});

test('placement spreads replicas and preferred leaders evenly', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 7 }),
      (brokers, partitions, rf) => {
        fc.pre(rf <= brokers);
        const loads = Array.from({ length: brokers }, (_, i) => ({
          nodeId: i + 1,
          replicas: 0,
          leaders: 0,
        }));
        const assignment = placeReplicas(loads, partitions, rf);
        const replicaCounts = new Map<number, number>();
        const leaderCounts = new Map<number, number>();
        for (const replicas of assignment) {
          if (new Set(replicas).size !== rf) return false;
          leaderCounts.set(
            replicas[0] as number,
            (leaderCounts.get(replicas[0] as number) ?? 0) + 1,
          );
          for (const r of replicas) replicaCounts.set(r, (replicaCounts.get(r) ?? 0) + 1);
        }
        const spread = (m: Map<number, number>, n: number) => {
          const values = Array.from({ length: brokers }, (_, i) => m.get(i + 1) ?? 0);
          return Math.max(...values) - Math.min(...values) <= n;
        };
        return spread(replicaCounts, 1) && spread(leaderCounts, 1);
      },
    ),
  );
  t.throws(() => placeReplicas([{ nodeId: 1, replicas: 0, leaders: 0 }], 1, 2), {
    instanceOf: RangeError,
  });
});
