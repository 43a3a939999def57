/**
 * Regression (chaos seed 20261155, nonmonotonic-poll): a consumer at offset 143 of a
 * partition whose leader had just changed read offsets 0, 1, 2... again. The new leader
 * served Fetch as soon as it won its election, before applying its term's first entry; a
 * follower applies only what it knows is committed, so its log could still end below
 * offsets the old leader had already served. The Fetch at 143 was answered
 * OFFSET_OUT_OF_RANGE, and the consumer reset to its policy (earliest: re-read the whole
 * partition; latest would have skipped records). ListOffsets(latest) likewise answered an
 * end below what readers had seen.
 *
 * Until a leader has applied its term's first entry (then every entry committed by any
 * earlier leader is in its log), a position past its log end is OFFSET_NOT_AVAILABLE,
 * retriable, as Kafka answers while a new leader's high watermark catches up.
 *
 * The host's part (apply, role changes) is played by the test, in the order the host calls
 * them, on a real replica over a real partition log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ErrorCode,
  earliestTimestamp,
  encodeRecordBatch,
  initChecksums,
  latestTimestamp,
  stampBaseOffset,
} from '@tributary/protocol';
import { type Entry, EntryType, Role } from '@tributary/raft';
import { PartitionLog } from '@tributary/storage';
import test from 'ava';
import {
  type DataPathContext,
  handleFetch,
  handleListOffsets,
} from '../../src/handlers/partitions.ts';
import { silentLogger } from '../../src/logger.ts';
import type { ReplicaManager } from '../../src/node/replica-manager.ts';
import { emptyCheckpoint } from '../../src/partition/apply-checkpoint.ts';
import { encodePartitionEntry } from '../../src/partition/entry.ts';
import { PartitionReplica } from '../../src/partition/replica.ts';
import type { ReplicaGroup, ReplicaGroupStatus } from '../../src/replication/replica-group.ts';
import { singleBrokerState } from '../metadata/fixtures.ts';

const nodeId = 1;

/** The group as the replica sees it: whatever status the test says the host has. */
function scriptedGroup(groupId: number, status: { current: ReplicaGroupStatus }): ReplicaGroup {
  return {
    id: groupId,
    status: () => status.current,
    propose: () => ({
      ok: false,
      error: { code: 'not-leader', message: 'scripted group', retriable: true },
    }),
    waitUntil: async (condition) => condition(status.current),
    fence: () => {},
  };
}

function dataEntry(index: number, term: number, baseOffset: number): Entry {
  const batch = encodeRecordBatch([
    { key: null, value: Buffer.from(`record ${baseOffset}`), timestamp: 1_000 + baseOffset },
  ]);
  stampBaseOffset(batch, baseOffset);
  return { index, term, type: EntryType.Data, data: encodePartitionEntry([batch]) };
}

function noop(index: number, term: number): Entry {
  return { index, term, type: EntryType.Noop, data: new Uint8Array(0) };
}

test('a new leader answers OFFSET_NOT_AVAILABLE past its log end until it has applied its term', async (t) => {
  await initChecksums();
  const base = mkdtempSync(join(tmpdir(), 'new-leader-reads-'));
  const state = singleBrokerState(nodeId, ['t']);
  const groupId = state.topics.get('t')!.partitions[0]!.groupId;
  const log = await PartitionLog.open({ directory: join(base, 'log') });
  const replica = new PartitionReplica({
    topic: 't',
    partition: 0,
    groupId,
    nodeId,
    directory: base,
    log,
    checkpoint: emptyCheckpoint,
    logger: silentLogger,
    copySource: () => {
      throw new Error('no snapshot in this test');
    },
  });
  t.teardown(async () => {
    await replica.close().catch(() => {});
    rmSync(base, { recursive: true, force: true });
  });
  const follower = {
    role: Role.Follower,
    term: 1,
    leader: 2,
    persistedIndex: 0,
    durableOnAllVotersIndex: 0,
    commit: 0,
  };
  const status = { current: follower as ReplicaGroupStatus };
  replica.attach(scriptedGroup(groupId, status));
  const context: DataPathContext = {
    state: () => state,
    replicas: { get: () => replica } as unknown as ReplicaManager,
    logger: silentLogger,
    messageBytesMax: 1024 * 1024,
  };
  const fetchAt = async (offset: number) => {
    const { response, release } = await handleFetch(
      context,
      {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1024 * 1024,
        topics: [{ name: 't', partitions: [{ partition: 0, offset, maxBytes: 1024 * 1024 }] }],
      },
      new AbortController().signal,
    );
    release();
    return response.topics[0]!.partitions[0]!;
  };
  const listOffsets = async (timestamp: number) => {
    const response = await handleListOffsets(context, {
      topics: [{ name: 't', partitions: [{ partition: 0, timestamp }] }],
    });
    return response.topics[0]!.partitions[0]!;
  };
  const latest = () => listOffsets(latestTimestamp);

  // As a follower of term 1 it applied what it knew committed: offsets 0..2 of 0..4.
  replica.onSoftState({ role: Role.Follower, leader: 2 }, 1);
  await replica.apply([noop(1, 1), dataEntry(2, 1, 0), dataEntry(3, 1, 1), dataEntry(4, 1, 2)]);
  t.is(replica.highWatermark, 3);

  // It wins term 2. Its term's first entry (index 7) is not applied yet.
  status.current = { ...follower, role: Role.Leader, term: 2, leader: nodeId };
  replica.onSoftState({ role: Role.Leader, leader: nodeId }, 2);

  const ahead = await fetchAt(5);
  t.is(
    ahead.error,
    ErrorCode.OffsetNotAvailable.code,
    `a position the old leader served, past this log's end: ${ahead.error} ${ahead.message ?? ''}`,
  );
  t.true(ErrorCode.OffsetNotAvailable.retriable);
  t.like(await fetchAt(1), { error: 0, highWatermark: 3 }, 'committed records are served');
  t.like(await fetchAt(3), { error: 0, highWatermark: 3 }, 'the log end itself is a long poll');
  t.is((await latest()).error, ErrorCode.OffsetNotAvailable.code, 'no end offset to give yet');
  // Record 3 (timestamp 1,003) is committed but not here yet: "none at or after" would be
  // wrong, and the next record here would be a later one.
  t.is(
    (await listOffsets(1_003)).error,
    ErrorCode.OffsetNotAvailable.code,
    'no timestamp lookup yet',
  );
  t.like(await listOffsets(earliestTimestamp), { error: 0, offset: 0 }, 'the start is known');

  // The rest of term 1 and its own first entry applied: now it serves as leader.
  await replica.apply([dataEntry(5, 1, 3), dataEntry(6, 1, 4), noop(7, 2)]);
  t.like(await fetchAt(5), { error: 0, highWatermark: 5 });
  t.like(await latest(), { error: 0, offset: 5 });
  t.like(await listOffsets(1_003), { error: 0, offset: 3, timestamp: 1_003 });
  const beyond = await fetchAt(6);
  t.is(beyond.error, ErrorCode.OffsetOutOfRange.code, 'past the end of a caught-up leader');
  t.like(beyond, { logStartOffset: 0, highWatermark: 5 });

  // A later term starts over: leading again, but that term's first entry not applied.
  status.current = { ...follower, role: Role.Leader, term: 4, leader: nodeId };
  replica.onSoftState({ role: Role.Follower, leader: 0 }, 3);
  replica.onSoftState({ role: Role.Leader, leader: nodeId }, 4);
  t.is((await fetchAt(6)).error, ErrorCode.OffsetNotAvailable.code);
  await replica.apply([noop(8, 4)]);
  t.is((await fetchAt(6)).error, ErrorCode.OffsetOutOfRange.code);

  // Found by review: the core stepped down, but the host has not told the replica yet (its
  // applies are queued behind a slow one, or the host failed and will never tell it). Going
  // by the reported role, it kept serving as a caught-up leader and answered a position
  // the next leader may have served with OFFSET_OUT_OF_RANGE.
  status.current = { ...follower, role: Role.Follower, term: 5, leader: 3 };
  t.true(replica.isLeader, 'the replica still holds the reported role');
  t.false(replica.caughtUpAsLeader);
  t.like(await fetchAt(6), { error: ErrorCode.NotLeader.code });
  t.like(await fetchAt(1), { error: ErrorCode.NotLeader.code });
  t.like(await latest(), { error: ErrorCode.NotLeader.code });
  // Leading a later term it has not applied yet: not caught up either.
  status.current = { ...follower, role: Role.Leader, term: 6, leader: nodeId };
  t.false(replica.caughtUpAsLeader);
  t.is((await fetchAt(6)).error, ErrorCode.OffsetNotAvailable.code);
});
