import { ErrorCode } from '@tributary/protocol';
import test from 'ava';
import { GroupCoordinator } from '../../src/groups/coordinator.ts';
import {
  bytes,
  commitRequest,
  context,
  joinNew,
  joinRequest,
  makeCoordinator,
  rebalanceTimeoutMs,
  sessionTimeoutMs,
  settle,
  syncRequest,
} from './harness.ts';

const E = ErrorCode;

/** One member joined and synced: a Stable group at generation 1. */
async function stableWithOne(h: ReturnType<typeof makeCoordinator>) {
  const a = await joinNew(h.coordinator);
  const joined = await a.answer;
  const synced = await h.coordinator.syncGroup(
    syncRequest(a.memberId, joined.generationId, [{ memberId: a.memberId, assignment: bytes(9) }]),
  );
  return { memberId: a.memberId, generationId: joined.generationId, synced };
}

/** Two members joined and synced: a Stable group. */
async function stableWithTwo(h: ReturnType<typeof makeCoordinator>) {
  const a = await stableWithOne(h);
  const b = await joinNew(h.coordinator);
  const aAgain = h.coordinator.joinGroup(joinRequest({ memberId: a.memberId }), context);
  const [aJoin, bJoin] = await Promise.all([aAgain, b.answer]);
  const generationId = aJoin.generationId;
  const assignments = [
    { memberId: a.memberId, assignment: bytes(1) },
    { memberId: b.memberId, assignment: bytes(2) },
  ];
  const bSync = h.coordinator.syncGroup(syncRequest(b.memberId, generationId));
  const aSync = h.coordinator.syncGroup(syncRequest(a.memberId, generationId, assignments));
  await Promise.all([aSync, bSync]);
  return { a: a.memberId, b: b.memberId, generationId, leader: aJoin.leader, bJoin };
}

/** `memberId` leaves the group with LeaveGroup. */
async function leave(h: ReturnType<typeof makeCoordinator>, memberId: string): Promise<void> {
  await h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId, groupInstanceId: null }] });
}

/** The offsets partition's leadership moves: a fresh coordinator loads what was stored. */
async function moveCoordinator(h: ReturnType<typeof makeCoordinator>): Promise<GroupCoordinator> {
  await settle();
  h.coordinator.unload();
  const next = new GroupCoordinator({ nowMs: () => h.clock.now, log: h.log, instanceTag: 'n2' });
  next.load(h.log.records);
  return next;
}

test('a new member gets MEMBER_ID_REQUIRED, rejoins, leads generation 1 and gets its assignment', async (t) => {
  const h = makeCoordinator();
  const first = await h.coordinator.joinGroup(joinRequest(), context);
  t.is(first.error, E.MemberIdRequired.code);
  t.regex(first.memberId, /^app-n1-\d+$/);
  const joined = await h.coordinator.joinGroup(joinRequest({ memberId: first.memberId }), context);
  t.is(joined.error, 0);
  t.is(joined.generationId, 1);
  t.is(joined.leader, first.memberId);
  t.is(joined.protocolName, 'range');
  t.deepEqual(
    joined.members.map((m) => m.memberId),
    [first.memberId],
  );
  t.is(h.coordinator.group('g')?.state, 'CompletingRebalance');
  const synced = await h.coordinator.syncGroup(
    syncRequest(first.memberId, 1, [{ memberId: first.memberId, assignment: bytes(7) }]),
  );
  t.deepEqual(synced, { error: 0, assignment: bytes(7) });
  t.is(h.coordinator.group('g')?.state, 'Stable');
  t.is(h.log.records.length, 1, 'the assignment was persisted');
});

test('a second member triggers a rebalance; the follower waits for the leader assignment', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  const b = await joinNew(h.coordinator);
  t.is(h.coordinator.group('g')?.state, 'PreparingRebalance');
  t.is(
    (
      await h.coordinator.heartbeat({
        groupId: 'g',
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
      })
    ).error,
    E.RebalanceInProgress.code,
  );
  const aJoin = await h.coordinator.joinGroup(joinRequest({ memberId: a.memberId }), context);
  const bJoin = await b.answer;
  t.is(aJoin.generationId, 2);
  t.is(bJoin.generationId, 2);
  t.is(aJoin.leader, a.memberId, 'the previous leader keeps leading');
  t.is(aJoin.members.length, 2);
  t.is(bJoin.members.length, 0, 'followers get no member list');
  let followerAnswered = false;
  const bSync = h.coordinator.syncGroup(syncRequest(b.memberId, 2)).then((r) => {
    followerAnswered = true;
    return r;
  });
  await settle();
  t.false(followerAnswered);
  const aSync = await h.coordinator.syncGroup(
    syncRequest(a.memberId, 2, [
      { memberId: a.memberId, assignment: bytes(1) },
      { memberId: b.memberId, assignment: bytes(2) },
    ]),
  );
  t.deepEqual(aSync.assignment, bytes(1));
  t.deepEqual((await bSync).assignment, bytes(2));
});

test('a member that does not rejoin within the rebalance timeout is removed', async (t) => {
  const h = makeCoordinator();
  const { a, b } = await stableWithTwo(h);
  const c = await joinNew(h.coordinator);
  const aJoin = h.coordinator.joinGroup(joinRequest({ memberId: a }), context);
  // b keeps heartbeating but never rejoins.
  for (let elapsed = 0; elapsed <= rebalanceTimeoutMs; elapsed += 1_000) {
    h.clock.advance(1_000);
    await h.coordinator.heartbeat({
      groupId: 'g',
      generationId: 2,
      memberId: b,
      groupInstanceId: null,
    });
    h.coordinator.tick(h.clock.now);
  }
  const [aAnswer, cAnswer] = await Promise.all([aJoin, c.answer]);
  t.is(aAnswer.generationId, 3);
  t.is(cAnswer.generationId, 3);
  t.deepEqual(aAnswer.members.map((m) => m.memberId).sort(), [a, c.memberId].sort());
  const stale = await h.coordinator.heartbeat({
    groupId: 'g',
    generationId: 2,
    memberId: b,
    groupInstanceId: null,
  });
  t.is(stale.error, E.UnknownMemberId.code);
});

test('a member silent for its session timeout is removed and the others rebalance', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  h.clock.advance(sessionTimeoutMs - 1);
  await h.coordinator.heartbeat({ groupId: 'g', generationId, memberId: a, groupInstanceId: null });
  h.coordinator.tick(h.clock.now);
  t.is(h.coordinator.group('g')?.members.size, 2, 'not yet expired');
  h.clock.advance(1);
  h.coordinator.tick(h.clock.now);
  t.false(h.coordinator.group('g')?.members.has(b));
  t.is(h.coordinator.group('g')?.state, 'PreparingRebalance');
  const hb = await h.coordinator.heartbeat({
    groupId: 'g',
    generationId,
    memberId: a,
    groupInstanceId: null,
  });
  t.is(hb.error, E.RebalanceInProgress.code);
  const again = await h.coordinator.joinGroup(joinRequest({ memberId: a }), context);
  t.is(again.generationId, generationId + 1);
  t.deepEqual(
    again.members.map((m) => m.memberId),
    [a],
  );
});

test('stale generations and unknown members are refused everywhere', async (t) => {
  const h = makeCoordinator();
  const { a, generationId } = await stableWithTwo(h);
  const old = generationId - 1;
  t.is(
    (
      await h.coordinator.heartbeat({
        groupId: 'g',
        generationId: old,
        memberId: a,
        groupInstanceId: null,
      })
    ).error,
    E.IllegalGeneration.code,
  );
  t.is((await h.coordinator.syncGroup(syncRequest(a, old))).error, E.IllegalGeneration.code);
  const commit = await h.coordinator.offsetCommit(commitRequest(a, old, 5));
  t.is(commit.topics[0]?.partitions[0]?.error, E.IllegalGeneration.code);
  const unknown = await h.coordinator.offsetCommit(commitRequest('nobody', generationId, 5));
  t.is(unknown.topics[0]?.partitions[0]?.error, E.UnknownMemberId.code);
  t.is(
    (await h.coordinator.joinGroup(joinRequest({ memberId: 'nobody' }), context)).error,
    E.UnknownMemberId.code,
  );
  t.is(
    (await h.coordinator.syncGroup(syncRequest('nobody', generationId))).error,
    E.UnknownMemberId.code,
  );
  const fetched = await h.coordinator.offsetFetch({
    groupId: 'g',
    topics: [{ name: 't', partitions: [0] }],
  });
  t.is(fetched.topics[0]?.partitions[0]?.offset, -1, 'nothing was committed');
});

test('commits: accepted while preparing a rebalance, refused while completing one', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  const ok = await h.coordinator.offsetCommit(commitRequest(a, generationId, 10));
  t.is(ok.topics[0]?.partitions[0]?.error, 0);
  const bJoin = h.coordinator.joinGroup(
    joinRequest({ memberId: b, protocols: [{ name: 'range', metadata: bytes(2) }] }),
    context,
  );
  // b's join with new metadata put the group into PreparingRebalance; a may still commit.
  t.is(h.coordinator.group('g')?.state, 'PreparingRebalance');
  const during = await h.coordinator.offsetCommit(commitRequest(a, generationId, 11));
  t.is(during.topics[0]?.partitions[0]?.error, 0);
  const aJoin = await h.coordinator.joinGroup(joinRequest({ memberId: a }), context);
  t.is((await bJoin).generationId, aJoin.generationId);
  t.is(h.coordinator.group('g')?.state, 'CompletingRebalance');
  const completing = await h.coordinator.offsetCommit(commitRequest(a, aJoin.generationId, 12));
  t.is(completing.topics[0]?.partitions[0]?.error, E.RebalanceInProgress.code);
  const fetched = await h.coordinator.offsetFetch({ groupId: 'g', topics: null });
  t.deepEqual(fetched.topics, [
    { name: 't', partitions: [{ partition: 0, offset: 11, metadata: '', error: 0 }] },
  ]);
});

test('the last member leaving empties the group at a new generation, persisted', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  const left = await h.coordinator.leaveGroup({
    groupId: 'g',
    members: [{ memberId: a.memberId, groupInstanceId: null }],
  });
  t.deepEqual(left, { error: 0, members: [{ memberId: a.memberId, error: 0 }] });
  const group = h.coordinator.group('g');
  t.is(group?.state, 'Empty');
  t.is(group?.generationId, 2);
  await settle();
  const reloaded = new GroupCoordinator({
    nowMs: () => h.clock.now,
    log: h.log,
    instanceTag: 'n2',
  });
  reloaded.load(h.log.records);
  t.is(reloaded.group('g')?.state, 'Empty');
  t.is(reloaded.group('g')?.generationId, 2);
  const again = await h.coordinator.leaveGroup({
    groupId: 'g',
    members: [{ memberId: a.memberId, groupInstanceId: null }],
  });
  t.is(again.members[0]?.error, E.UnknownMemberId.code);
});

test('a leaving member lets a pending round complete without waiting for the deadline', async (t) => {
  const h = makeCoordinator();
  const { a, b } = await stableWithTwo(h);
  const aJoin = h.coordinator.joinGroup(
    joinRequest({ memberId: a, protocols: [{ name: 'range', metadata: bytes(5) }] }),
    context,
  );
  await leave(h, b);
  const answer = await aJoin;
  t.is(answer.error, 0);
  t.deepEqual(
    answer.members.map((m) => m.memberId),
    [a],
  );
});

test('static membership: a restarted instance takes over without a rebalance; the old id is fenced', async (t) => {
  const h = makeCoordinator();
  const join = (memberId: string, metadata = bytes(1)) =>
    h.coordinator.joinGroup(
      joinRequest({
        memberId,
        groupInstanceId: 'instance-1',
        protocols: [{ name: 'range', metadata }],
      }),
      context,
    );
  const first = await join('');
  t.is(first.error, 0, 'static members skip MEMBER_ID_REQUIRED');
  await h.coordinator.syncGroup(
    syncRequest(
      first.memberId,
      first.generationId,
      [{ memberId: first.memberId, assignment: bytes(4) }],
      { groupInstanceId: 'instance-1' },
    ),
  );
  const restarted = await join('');
  t.is(restarted.error, 0);
  t.not(restarted.memberId, first.memberId);
  t.is(restarted.generationId, first.generationId, 'no new generation');
  t.is(restarted.leader, restarted.memberId);
  t.deepEqual(restarted.members, [], 'nothing to assign: the old assignment stands');
  t.is(h.coordinator.group('g')?.state, 'Stable');
  const synced = await h.coordinator.syncGroup(
    syncRequest(restarted.memberId, restarted.generationId, [], { groupInstanceId: 'instance-1' }),
  );
  t.deepEqual(synced.assignment, bytes(4));
  const fenced = await h.coordinator.heartbeat({
    groupId: 'g',
    generationId: first.generationId,
    memberId: first.memberId,
    groupInstanceId: 'instance-1',
  });
  t.is(fenced.error, E.FencedInstanceId.code);
  const fencedCommit = await h.coordinator.offsetCommit(
    commitRequest(first.memberId, first.generationId, 1, { groupInstanceId: 'instance-1' }),
  );
  t.is(fencedCommit.topics[0]?.partitions[0]?.error, E.FencedInstanceId.code);
});

test('static membership: a restarted instance with a new subscription causes a rebalance', async (t) => {
  const h = makeCoordinator();
  const request = (memberId: string, metadata: Uint8Array) =>
    joinRequest({ memberId, groupInstanceId: 'i', protocols: [{ name: 'range', metadata }] });
  const first = await h.coordinator.joinGroup(request('', bytes(1)), context);
  await h.coordinator.syncGroup(syncRequest(first.memberId, 1, [], { groupInstanceId: 'i' }));
  const changed = await h.coordinator.joinGroup(request('', bytes(2)), context);
  t.is(changed.generationId, 2);
  t.is(changed.members.length, 1);
});

test('static members that miss a round stay members; dynamic ones are dropped', async (t) => {
  const h = makeCoordinator();
  const s = await h.coordinator.joinGroup(joinRequest({ groupInstanceId: 'static' }), context);
  await h.coordinator.syncGroup(
    syncRequest(s.memberId, s.generationId, [], { groupInstanceId: 'static' }),
  );
  const d = await joinNew(h.coordinator);
  // s keeps its session alive but does not rejoin this round.
  for (let elapsed = 0; elapsed < rebalanceTimeoutMs; elapsed += 1_000) {
    h.clock.advance(1_000);
    await h.coordinator.heartbeat({
      groupId: 'g',
      generationId: s.generationId,
      memberId: s.memberId,
      groupInstanceId: 'static',
    });
    h.coordinator.tick(h.clock.now);
  }
  const dJoin = await d.answer;
  t.is(dJoin.error, 0);
  t.is(h.coordinator.group('g')?.members.has(s.memberId), true, 'the static member stays');
});

test('persisted groups and offsets survive a coordinator move', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  await h.coordinator.offsetCommit(commitRequest(a, generationId, 41));
  await h.coordinator.offsetCommit(commitRequest(b, generationId, 42));
  const next = new GroupCoordinator({ nowMs: () => h.clock.now, log: h.log, instanceTag: 'n2' });
  const summary = next.load(h.log.records);
  t.deepEqual(summary, { groups: 1, offsets: 1, skipped: 0 });
  t.is(next.group('g')?.state, 'Stable');
  t.is(next.group('g')?.generationId, generationId);
  const hb = await next.heartbeat({
    groupId: 'g',
    generationId,
    memberId: b,
    groupInstanceId: null,
  });
  t.is(hb.error, 0, 'members carry on with their generation');
  const synced = await next.syncGroup(syncRequest(b, generationId));
  t.deepEqual([...synced.assignment], [2]);
  const fetched = await next.offsetFetch({
    groupId: 'g',
    topics: [{ name: 't', partitions: [0] }],
  });
  t.is(fetched.topics[0]?.partitions[0]?.offset, 42);
});

test('delete: refused while members remain, then tombstones everything', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  await h.coordinator.offsetCommit(commitRequest(a.memberId, a.generationId, 3));
  const busy = await h.coordinator.deleteGroups({ groupIds: ['g', 'missing'] });
  t.deepEqual(busy.results, [
    { groupId: 'g', error: E.NonEmptyGroup.code },
    { groupId: 'missing', error: E.GroupIdNotFound.code },
  ]);
  await h.coordinator.leaveGroup({
    groupId: 'g',
    members: [{ memberId: a.memberId, groupInstanceId: null }],
  });
  await settle();
  const deleted = await h.coordinator.deleteGroups({ groupIds: ['g'] });
  t.is(deleted.results[0]?.error, 0);
  t.is(h.coordinator.group('g'), undefined);
  t.is(
    (await h.coordinator.describeGroups({ groupIds: ['g'] })).groups[0]?.error,
    E.GroupIdNotFound.code,
  );
  const next = new GroupCoordinator({ nowMs: () => h.clock.now, log: h.log, instanceTag: 'n2' });
  t.deepEqual(next.load(h.log.records), { groups: 0, offsets: 0, skipped: 0 });
});

test('admin commits (generation -1) are accepted only for an empty group', async (t) => {
  const h = makeCoordinator();
  const adminCommit = (offset: number) =>
    h.coordinator.offsetCommit(commitRequest('', -1, offset, { groupId: 'g' }));
  t.is((await adminCommit(5)).topics[0]?.partitions[0]?.error, 0, 'no group yet: created');
  t.is(h.coordinator.group('g')?.state, 'Empty');
  const listed = await h.coordinator.listGroups();
  t.deepEqual(listed.groups, [{ groupId: 'g', protocolType: '', state: 'Empty' }]);
  await stableWithOne(h);
  t.is((await adminCommit(6)).topics[0]?.partitions[0]?.error, E.UnknownMemberId.code);
  const fetched = await h.coordinator.offsetFetch({ groupId: 'g', topics: null });
  t.is(fetched.topics[0]?.partitions[0]?.offset, 5);
});

test('describe shows members, protocol and assignments of a stable group', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  const described = await h.coordinator.describeGroups({ groupIds: ['g'] });
  const group = described.groups[0];
  t.is(group?.state, 'Stable');
  t.is(group?.protocol, 'range');
  t.is(group?.generationId, generationId);
  t.deepEqual(
    group?.members.map((m) => [m.memberId, [...m.assignment], m.clientId, m.clientHost]),
    [
      [a, [1], 'app', '127.0.0.1'],
      [b, [2], 'app', '127.0.0.1'],
    ],
  );
});

test('unload answers waiting joins with NOT_COORDINATOR and refuses further requests', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  const b = await joinNew(h.coordinator);
  h.coordinator.unload();
  t.is((await b.answer).error, E.NotCoordinator.code);
  t.is(
    (
      await h.coordinator.heartbeat({
        groupId: 'g',
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
      })
    ).error,
    E.NotCoordinator.code,
  );
  t.is(
    (await h.coordinator.offsetCommit(commitRequest(a.memberId, 1, 1))).topics[0]?.partitions[0]
      ?.error,
    E.NotCoordinator.code,
  );
});

test('invalid session timeouts and inconsistent protocols are refused', async (t) => {
  const h = makeCoordinator({ sessionTimeoutMsMin: 1_000, sessionTimeoutMsMax: 60_000 });
  t.is(
    (await h.coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 10 }), context)).error,
    E.InvalidSessionTimeout.code,
  );
  t.is(
    (await h.coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 60_001 }), context)).error,
    E.InvalidSessionTimeout.code,
  );
  await stableWithOne(h);
  const other = await h.coordinator.joinGroup(
    joinRequest({ protocols: [{ name: 'roundrobin', metadata: bytes() }] }),
    context,
  );
  t.is(other.error, E.InconsistentGroupProtocol.code);
  t.is(other.message, 'inconsistent group protocol');
  const noProtocols = await h.coordinator.joinGroup(
    joinRequest({ groupId: 'fresh', protocols: [] }),
    context,
  );
  t.is(noProtocols.error, E.InconsistentGroupProtocol.code);
  t.is(h.coordinator.group('fresh'), undefined, 'a refused join leaves no group behind');
});

test('a failed offset append is COORDINATOR_NOT_AVAILABLE and changes nothing', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  h.log.failNext = true;
  const failed = await h.coordinator.offsetCommit(commitRequest(a.memberId, a.generationId, 9));
  t.is(failed.topics[0]?.partitions[0]?.error, E.CoordinatorNotAvailable.code);
  const fetched = await h.coordinator.offsetFetch({
    groupId: 'g',
    topics: [{ name: 't', partitions: [0] }],
  });
  t.is(fetched.topics[0]?.partitions[0]?.offset, -1);
});

test('a failed assignment write fails the waiting syncs and starts a new round', async (t) => {
  const h = makeCoordinator();
  const a = await joinNew(h.coordinator);
  const joined = await a.answer;
  h.log.failNext = true;
  const synced = await h.coordinator.syncGroup(syncRequest(a.memberId, joined.generationId, []));
  t.is(synced.error, E.CoordinatorNotAvailable.code);
  t.is(h.coordinator.group('g')?.state, 'PreparingRebalance');
});

test('a rebalance during the assignment write never hands out the old generation', async (t) => {
  const h = makeCoordinator();
  const a = await joinNew(h.coordinator);
  const joined = await a.answer;
  h.log.hold = true;
  const sync = h.coordinator.syncGroup(
    syncRequest(a.memberId, joined.generationId, [{ memberId: a.memberId, assignment: bytes(1) }]),
  );
  await settle();
  const b = await joinNew(h.coordinator); // rebalance starts while the write is held
  t.is((await sync).error, E.RebalanceInProgress.code);
  h.log.hold = false;
  h.log.release();
  await settle();
  t.is(h.coordinator.group('g')?.state, 'PreparingRebalance');
  const aJoin = h.coordinator.joinGroup(joinRequest({ memberId: a.memberId }), context);
  t.is((await aJoin).generationId, joined.generationId + 1);
  t.is((await b.answer).generationId, joined.generationId + 1);
});

test('commits apply in the order they were made even when appends are held', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  h.log.hold = true;
  const first = h.coordinator.offsetCommit(commitRequest(a.memberId, a.generationId, 100));
  const second = h.coordinator.offsetCommit(commitRequest(a.memberId, a.generationId, 50));
  h.log.release();
  await Promise.all([first, second]);
  const fetched = await h.coordinator.offsetFetch({
    groupId: 'g',
    topics: [{ name: 't', partitions: [0] }],
  });
  t.is(fetched.topics[0]?.partitions[0]?.offset, 50, 'the later commit wins, as in the log');
});

test('a MEMBER_ID_REQUIRED member that never returns stops blocking the round at its session end', async (t) => {
  const h = makeCoordinator();
  const a = await stableWithOne(h);
  const ghost = await h.coordinator.joinGroup(joinRequest(), context);
  t.is(ghost.error, E.MemberIdRequired.code);
  const aJoin = h.coordinator.joinGroup(
    joinRequest({ memberId: a.memberId, protocols: [{ name: 'range', metadata: bytes(3) }] }),
    context,
  );
  h.clock.advance(sessionTimeoutMs);
  h.coordinator.tick(h.clock.now);
  const answer = await aJoin;
  t.is(answer.error, 0);
  t.deepEqual(
    answer.members.map((m) => m.memberId),
    [a.memberId],
  );
});

test('a joined member that never syncs is removed after the rebalance timeout', async (t) => {
  const h = makeCoordinator();
  const { a, b } = await stableWithTwo(h);
  const aJoin = h.coordinator.joinGroup(
    joinRequest({ memberId: a, protocols: [{ name: 'range', metadata: bytes(8) }] }),
    context,
  );
  const bJoin = h.coordinator.joinGroup(joinRequest({ memberId: b }), context);
  const [aj] = await Promise.all([aJoin, bJoin]);
  await h.coordinator.syncGroup(syncRequest(a, aj.generationId, []));
  // b heartbeats but never syncs.
  for (let elapsed = 0; elapsed <= rebalanceTimeoutMs; elapsed += 1_000) {
    h.clock.advance(1_000);
    await h.coordinator.heartbeat({
      groupId: 'g',
      generationId: aj.generationId,
      memberId: a,
      groupInstanceId: null,
    });
    await h.coordinator.heartbeat({
      groupId: 'g',
      generationId: aj.generationId,
      memberId: b,
      groupInstanceId: null,
    });
    h.coordinator.tick(h.clock.now);
  }
  t.false(h.coordinator.group('g')?.members.has(b));
});

test('initial rebalance delay lets a new group gather members into its first generation', async (t) => {
  const h = makeCoordinator({ initialRebalanceDelayMs: 3_000 });
  const a = await joinNew(h.coordinator);
  const b = await joinNew(h.coordinator);
  h.clock.advance(3_000);
  h.coordinator.tick(h.clock.now);
  const [aj, bj] = await Promise.all([a.answer, b.answer]);
  t.is(aj.generationId, 1);
  t.is(bj.generationId, 1);
});

test('a coordinator taking over after a leave does not bring the leaver back (issue 7)', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  // b leaves; the round it starts is cut short by a coordinator move before a rejoins.
  await leave(h, b);
  const next = await moveCoordinator(h);
  t.deepEqual([...(next.group('g')?.members.keys() ?? [])], [a], 'the leaver stays gone');
  t.is(next.group('g')?.generationId, generationId);
  // a rejoins: the round completes at once (before: it waited for b's session to end).
  const answer = await next.joinGroup(joinRequest({ memberId: a }), context);
  t.is(answer.error, 0);
  t.is(answer.generationId, generationId + 1);
  t.deepEqual(
    answer.members.map((m) => m.memberId),
    [a],
  );
});

test('a coordinator taking over after a session expiry does not bring the expired member back', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  // a heartbeats, b falls silent until its session is over.
  for (let elapsed = 0; elapsed <= sessionTimeoutMs; elapsed += 1_000) {
    h.clock.advance(1_000);
    await h.coordinator.heartbeat({
      groupId: 'g',
      generationId,
      memberId: a,
      groupInstanceId: null,
    });
    h.coordinator.tick(h.clock.now);
  }
  t.false(h.coordinator.group('g')?.members.has(b), 'b expired');
  const next = await moveCoordinator(h);
  t.deepEqual([...(next.group('g')?.members.keys() ?? [])], [a], 'the expired member stays gone');
  const answer = await next.joinGroup(joinRequest({ memberId: a }), context);
  t.is(answer.error, 0);
  t.is(answer.generationId, generationId + 1);
});

test('a coordinator taking over right after a leave starts the owed round (members that never heard of it rejoin)', async (t) => {
  const h = makeCoordinator();
  const { a, b, generationId } = await stableWithTwo(h);
  await leave(h, b);
  // The coordinator moves before a's next heartbeat could tell it to rejoin.
  const next = await moveCoordinator(h);
  const beat = await next.heartbeat({
    groupId: 'g',
    generationId,
    memberId: a,
    groupInstanceId: null,
  });
  t.is(beat.error, ErrorCode.RebalanceInProgress.code, "b's partitions are not left unassigned");
  const answer = await next.joinGroup(joinRequest({ memberId: a }), context);
  t.is(answer.generationId, generationId + 1);
});
