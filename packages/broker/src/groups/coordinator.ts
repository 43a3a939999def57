/**
 * The group coordinator for the groups of one `__consumer_offsets` partition: the broker
 * side of JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * ListGroups, DescribeGroups and DeleteGroups.
 *
 * Deterministic and free of I/O: time is read from the injected `nowMs`, nothing runs on a
 * timer (the broker calls `tick(nowMs)` periodically, say every 100 ms, to expire sessions
 * and end rebalance rounds), and persistence goes through the injected `OffsetLog`. Each
 * handler takes a request body already validated against its schema and resolves with the
 * response body; a JoinGroup answer waits until its round completes (every member has
 * rejoined, or the rebalance deadline passes at a tick), and a follower's SyncGroup waits
 * for the leader's assignment to be persisted.
 *
 * Kafka's semantics, summarised (see docs/client.md, "Group protocol"):
 * - a new dynamic member gets MEMBER_ID_REQUIRED with its id and joins again with it;
 * - a static member (groupInstanceId) that rejoins with the same subscription while the
 *   group is Stable takes over its old member id without a rebalance; the old id is then
 *   answered FENCED_INSTANCE_ID;
 * - requests of another generation get ILLEGAL_GENERATION, of unknown members
 *   UNKNOWN_MEMBER_ID; commits during CompletingRebalance get REBALANCE_IN_PROGRESS;
 * - a member silent for its session timeout is removed, and so is one that does not rejoin
 *   within the rebalance timeout (dynamic members only) or does not sync after joining.
 */
import {
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  ErrorCode,
  type ErrorCodeInfo,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsResponse,
  limits,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '@tributary/protocol';
import { assert } from '../errors.ts';
import { Group, joinError, type Member, offsetKey, syncError } from './group.ts';
import { type LoadSummary, loadGroups } from './group-loader.ts';
import { describeGroup, fetchOffsets, listGroups } from './group-views.ts';
import {
  initialRebalanceDelayMsDefault,
  membersPerGroupMaxDefault,
  sessionTimeoutMsMaxDefault,
  sessionTimeoutMsMinDefault,
} from './limits.ts';
import type { OffsetLog, OffsetLogRecord } from './offset-log.ts';
import { encodeGroup, encodeKey, encodeOffset, type StoredGroup } from './offset-records.ts';

export interface GroupCoordinatorOptions {
  readonly nowMs: () => number;
  readonly log: OffsetLog;
  /**
   * Makes member ids minted here unique across coordinator instances (say
   * `${nodeId}.${partition}.${leaderEpoch}`): ids are `${clientId}-${instanceTag}-${counter}`.
   */
  readonly instanceTag: string;
  readonly sessionTimeoutMsMin?: number;
  readonly sessionTimeoutMsMax?: number;
  readonly initialRebalanceDelayMs?: number;
  readonly membersPerGroupMax?: number;
  /** Told when a best-effort write of group metadata fails (the group carries on). */
  readonly onPersistError?: (groupId: string, error: unknown) => void;
}

/** Who sent a request: the connection's client id (from ApiVersions) and address. */
export interface ClientContext {
  readonly clientId: string;
  readonly clientHost: string;
}

const clientIdInMemberIdMax = 100;

export class GroupCoordinator {
  private groups = new Map<string, Group>();
  private readonly options: GroupCoordinatorOptions;
  private readonly sessionTimeoutMsMin: number;
  private readonly sessionTimeoutMsMax: number;
  private readonly initialRebalanceDelayMs: number;
  private readonly membersPerGroupMax: number;
  private memberCounter = 0;
  private commitSequence = 0;
  private unloaded = false;

  constructor(options: GroupCoordinatorOptions) {
    this.options = options;
    this.sessionTimeoutMsMin = options.sessionTimeoutMsMin ?? sessionTimeoutMsMinDefault;
    this.sessionTimeoutMsMax = options.sessionTimeoutMsMax ?? sessionTimeoutMsMaxDefault;
    this.initialRebalanceDelayMs =
      options.initialRebalanceDelayMs ?? initialRebalanceDelayMsDefault;
    this.membersPerGroupMax = Math.min(
      options.membersPerGroupMax ?? membersPerGroupMaxDefault,
      limits.membersPerGroupMax,
    );
    assert(this.sessionTimeoutMsMin <= this.sessionTimeoutMsMax, 'session timeout bounds inverted');
  }

  /** Rebuilds groups and offsets from the partition's records, before serving requests. */
  load(records: Iterable<OffsetLogRecord>): LoadSummary {
    assert(this.groups.size === 0, 'load into a coordinator that already has groups');
    const { groups, summary } = loadGroups(records, this.options.nowMs());
    this.groups = groups;
    return summary;
  }

  /** Stops coordinating (leadership of the partition lost): every waiter gets NOT_COORDINATOR. */
  unload(): void {
    this.unloaded = true;
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        group.answerJoin(member, joinError(ErrorCode.NotCoordinator, member.memberId));
        group.answerSync(member, syncError(ErrorCode.NotCoordinator));
      }
      group.transition('Dead', this.options.nowMs());
    }
    this.groups.clear();
  }

  /** A group's state, for tests and metrics. */
  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  get groupCount(): number {
    return this.groups.size;
  }

  joinGroup(request: JoinGroupRequest, context: ClientContext): Promise<JoinGroupResponse> {
    const now = this.options.nowMs();
    const refusal = this.joinRefusal(request);
    if (refusal !== undefined) return Promise.resolve(refusal);
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      if (request.memberId !== '') {
        return Promise.resolve(joinError(ErrorCode.UnknownMemberId, request.memberId));
      }
      group = new Group(request.groupId, now);
      this.groups.set(request.groupId, group);
    }
    if (!group.supports(request.protocolType, request.protocols)) {
      this.dropIfVacant(group);
      return Promise.resolve(
        joinError(
          ErrorCode.InconsistentGroupProtocol,
          request.memberId,
          'inconsistent group protocol',
        ),
      );
    }
    return request.memberId === ''
      ? this.joinNewMember(group, request, context, now)
      : this.joinKnownMember(group, request, context, now);
  }

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    if (this.unloaded) return Promise.resolve(syncError(ErrorCode.NotCoordinator));
    const now = this.options.nowMs();
    const group = this.groups.get(request.groupId);
    const checked = this.checkMember(group, request);
    if (checked.error !== undefined) return Promise.resolve(syncError(checked.error));
    const { member } = checked;
    assert(group !== undefined, 'checked member without group');
    member.sessionDeadlineMs = now + member.sessionTimeoutMs;
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.RebalanceInProgress));
      case 'Stable':
        group.awaitingSync.delete(member.memberId);
        return Promise.resolve({ error: ErrorCode.None.code, assignment: member.assignment });
      case 'CompletingRebalance':
        return this.awaitAssignment(group, member, request, now);
      default:
        return Promise.resolve(syncError(ErrorCode.UnknownMemberId));
    }
  }

  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    const answer = (info: ErrorCodeInfo) => Promise.resolve({ error: info.code });
    if (this.unloaded) return answer(ErrorCode.NotCoordinator);
    const group = this.groups.get(request.groupId);
    const checked = this.checkMember(group, request);
    if (checked.error !== undefined) return answer(checked.error);
    assert(group !== undefined, 'checked member without group');
    checked.member.sessionDeadlineMs = this.options.nowMs() + checked.member.sessionTimeoutMs;
    if (group.state === 'PreparingRebalance') return answer(ErrorCode.RebalanceInProgress);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      return answer(ErrorCode.None);
    }
    return answer(ErrorCode.UnknownMemberId);
  }

  leaveGroup(request: LeaveGroupRequest): Promise<LeaveGroupResponse> {
    if (this.unloaded) {
      return Promise.resolve({ error: ErrorCode.NotCoordinator.code, members: [] });
    }
    const now = this.options.nowMs();
    const group = this.groups.get(request.groupId);
    const results = request.members.map((leaving) => ({
      memberId: leaving.memberId,
      error:
        group === undefined
          ? ErrorCode.UnknownMemberId.code
          : this.removeLeaving(group, leaving).code,
    }));
    if (group !== undefined && results.some((r) => r.error === ErrorCode.None.code)) {
      this.afterMembershipChange(group, now);
    }
    return Promise.resolve({ error: ErrorCode.None.code, members: results });
  }

  async offsetCommit(request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    const now = this.options.nowMs();
    const refusal = this.unloaded ? ErrorCode.NotCoordinator : this.commitRefusal(request, now);
    if (refusal !== undefined) return commitAnswer(request, refusal);
    const records: OffsetLogRecord[] = [];
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        const key = {
          kind: 'offset',
          groupId: request.groupId,
          topic: topic.name,
          partition: p.partition,
        } as const;
        const value = { offset: p.offset, metadata: p.metadata, commitTimestampMs: now };
        records.push({ key: encodeKey(key), value: encodeOffset(value) });
      }
    }
    this.commitSequence += 1;
    const sequence = this.commitSequence;
    try {
      await this.options.log.append(records);
    } catch {
      return commitAnswer(request, ErrorCode.CoordinatorNotAvailable);
    }
    if (this.unloaded) return commitAnswer(request, ErrorCode.NotCoordinator);
    this.applyCommit(request, sequence, now);
    return commitAnswer(request, ErrorCode.None);
  }

  offsetFetch(request: OffsetFetchRequest): Promise<OffsetFetchResponse> {
    if (this.unloaded) {
      return Promise.resolve({ error: ErrorCode.NotCoordinator.code, topics: [] });
    }
    return Promise.resolve(fetchOffsets(this.groups.get(request.groupId), request));
  }

  listGroups(): Promise<ListGroupsResponse> {
    return Promise.resolve(listGroups(this.groups.values()));
  }

  describeGroups(request: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
    return Promise.resolve({
      groups: request.groupIds.map((id) => describeGroup(id, this.groups.get(id))),
    });
  }

  async deleteGroups(request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    const results = await Promise.all(request.groupIds.map((id) => this.deleteGroup(id)));
    return {
      results: request.groupIds.map((groupId, i) => ({
        groupId,
        error: (results[i] ?? ErrorCode.UnknownServerError).code,
      })),
    };
  }

  /** Expires sessions, MEMBER_ID_REQUIRED reservations and rebalance/sync deadlines. */
  tick(nowMs: number): void {
    if (this.unloaded) return;
    for (const group of [...this.groups.values()]) this.tickGroup(group, nowMs);
  }

  // ── joining ──────────────────────────────────────────────────────────────

  private joinRefusal(request: JoinGroupRequest): JoinGroupResponse | undefined {
    if (this.unloaded) return joinError(ErrorCode.NotCoordinator, request.memberId);
    const session = request.sessionTimeoutMs;
    if (session < this.sessionTimeoutMsMin || session > this.sessionTimeoutMsMax) {
      const range = `${this.sessionTimeoutMsMin}..${this.sessionTimeoutMsMax} ms`;
      return joinError(ErrorCode.InvalidSessionTimeout, request.memberId, `allowed ${range}`);
    }
    return undefined;
  }

  private joinNewMember(
    group: Group,
    request: JoinGroupRequest,
    context: ClientContext,
    now: number,
  ): Promise<JoinGroupResponse> {
    const memberId = this.mintMemberId(context.clientId);
    if (request.groupInstanceId !== null) {
      const oldId = group.staticMembers.get(request.groupInstanceId);
      if (oldId !== undefined)
        return this.rejoinStaticMember(group, oldId, memberId, request, context, now);
    }
    if (group.members.size + group.pendingMembers.size >= this.membersPerGroupMax) {
      return Promise.resolve(joinError(ErrorCode.GroupMaxSizeReached, '', 'group is full'));
    }
    if (request.groupInstanceId !== null) {
      const member = newMember(memberId, request, context, now);
      group.add(member);
      return this.awaitJoin(group, member, now);
    }
    group.pendingMembers.set(memberId, now + request.sessionTimeoutMs);
    return Promise.resolve(joinError(ErrorCode.MemberIdRequired, memberId));
  }

  private joinKnownMember(
    group: Group,
    request: JoinGroupRequest,
    context: ClientContext,
    now: number,
  ): Promise<JoinGroupResponse> {
    const memberId = request.memberId;
    if (group.pendingMembers.delete(memberId)) {
      const member = newMember(memberId, request, context, now);
      group.add(member);
      return this.awaitJoin(group, member, now);
    }
    const checked = this.checkMember(group, { memberId, groupInstanceId: request.groupInstanceId });
    if (checked.error !== undefined) return Promise.resolve(joinError(checked.error, memberId));
    const { member } = checked;
    const unchanged = sameSubscription(group, member, request);
    updateMember(member, request, context, now);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.awaitJoin(group, member, now);
      case 'CompletingRebalance':
        // The member probably lost our answer: repeat it, unless its subscription changed.
        return unchanged
          ? Promise.resolve(group.joinAnswer(member))
          : this.awaitJoin(group, member, now);
      case 'Stable':
        return unchanged && member.memberId !== group.leaderId
          ? Promise.resolve(group.joinAnswer(member))
          : this.awaitJoin(group, member, now);
      default:
        return Promise.resolve(joinError(ErrorCode.UnknownMemberId, memberId));
    }
  }

  /**
   * A static member's instance came back with a new member id. In a Stable group with an
   * unchanged subscription it simply takes over (no rebalance): it is answered with the
   * current generation and, if it leads, an empty member list (nothing to assign: its
   * SyncGroup returns the assignment it had).
   */
  private async rejoinStaticMember(
    group: Group,
    oldId: string,
    newId: string,
    request: JoinGroupRequest,
    context: ClientContext,
    now: number,
  ): Promise<JoinGroupResponse> {
    const member = group.replaceStaticMember(oldId, newId);
    const unchanged = sameSubscription(group, member, request);
    updateMember(member, request, context, now);
    if (group.state !== 'Stable' || !unchanged) return this.awaitJoin(group, member, now);
    const answer: JoinGroupResponse = { ...group.joinAnswer(member), members: [] };
    try {
      await this.persistGroup(group, group.toStored());
    } catch {
      return joinError(ErrorCode.CoordinatorNotAvailable, newId);
    }
    return answer;
  }

  private awaitJoin(group: Group, member: Member, now: number): Promise<JoinGroupResponse> {
    group.answerJoin(member, joinError(ErrorCode.RebalanceInProgress, member.memberId));
    const answer = new Promise<JoinGroupResponse>((resolve) => {
      member.joinWaiter = resolve;
    });
    if (group.state !== 'PreparingRebalance')
      group.prepareRebalance(now, this.initialRebalanceDelayMs);
    this.maybeCompleteJoin(group, now);
    return answer;
  }

  private maybeCompleteJoin(group: Group, now: number): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.allJoined(now) || now >= group.rebalanceDeadlineMs) this.completeJoin(group, now);
  }

  private completeJoin(group: Group, now: number): void {
    group.completeJoin(now);
    if (group.state === 'Empty') this.persistInBackground(group);
  }

  /** After members left or expired: a new round, or the end of the current one. */
  private afterMembershipChange(group: Group, now: number): void {
    if (group.state === 'Stable') {
      // Stable: every assignment belongs to the current generation, so the image minus the
      // leavers is a true one. Stored, and marked as owing a round, so a coordinator that
      // takes over starts that round instead of bringing the leavers back and waiting a
      // session timeout for them (issue 7: a 10 s round after a coordinator move).
      this.persistInBackground(group, true);
    }
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      group.prepareRebalance(now, this.initialRebalanceDelayMs);
    }
    this.maybeCompleteJoin(group, now);
  }

  private mintMemberId(clientId: string): string {
    this.memberCounter += 1;
    const prefix = (clientId === '' ? 'member' : clientId).slice(0, clientIdInMemberIdMax);
    const id = `${prefix}-${this.options.instanceTag}-${this.memberCounter}`;
    return id.slice(0, limits.memberIdLengthMax);
  }

  // ── syncing ──────────────────────────────────────────────────────────────

  private awaitAssignment(
    group: Group,
    member: Member,
    request: SyncGroupRequest,
    now: number,
  ): Promise<SyncGroupResponse> {
    group.answerSync(member, syncError(ErrorCode.RebalanceInProgress));
    const answer = new Promise<SyncGroupResponse>((resolve) => {
      member.syncWaiter = resolve;
    });
    group.awaitingSync.delete(member.memberId);
    const leaderFirstSync = group.assignmentPersistingGeneration !== group.generationId;
    if (member.memberId === group.leaderId && leaderFirstSync) {
      this.persistAssignment(group, request, now);
    }
    return answer;
  }

  /** Persists the leader's assignment, then hands it out, if the generation is still current. */
  private persistAssignment(group: Group, request: SyncGroupRequest, now: number): void {
    const generation = group.generationId;
    const assignments = new Map<string, Uint8Array>();
    for (const entry of request.assignments) {
      if (group.members.has(entry.memberId)) assignments.set(entry.memberId, entry.assignment);
    }
    group.assignmentPersistingGeneration = generation;
    const stored = group.toStored();
    const image: StoredGroup = {
      ...stored,
      members: stored.members.map((m) => ({
        ...m,
        assignment: assignments.get(m.memberId) ?? new Uint8Array(0),
      })),
    };
    const current = () =>
      !this.unloaded &&
      this.groups.get(group.groupId) === group &&
      group.state === 'CompletingRebalance' &&
      group.generationId === generation;
    this.persistGroup(group, image).then(
      () => {
        if (current()) group.applyAssignment(generation, assignments, this.options.nowMs());
      },
      () => {
        if (!current()) return;
        for (const member of group.members.values()) {
          group.answerSync(member, syncError(ErrorCode.CoordinatorNotAvailable));
        }
        group.prepareRebalance(Math.max(now, this.options.nowMs()), this.initialRebalanceDelayMs);
      },
    );
  }

  // ── membership checks and leaving ────────────────────────────────────────

  private checkMember(
    group: Group | undefined,
    request: { memberId: string; groupInstanceId: string | null; generationId?: number },
  ): { error: ErrorCodeInfo; member?: undefined } | { error?: undefined; member: Member } {
    if (group === undefined || group.state === 'Dead') return { error: ErrorCode.UnknownMemberId };
    if (request.groupInstanceId !== null) {
      const owner = group.staticMembers.get(request.groupInstanceId);
      if (owner !== undefined && owner !== request.memberId)
        return { error: ErrorCode.FencedInstanceId };
    }
    const member = group.members.get(request.memberId);
    if (member === undefined) return { error: ErrorCode.UnknownMemberId };
    if (member.groupInstanceId !== null && member.groupInstanceId !== request.groupInstanceId) {
      return { error: ErrorCode.FencedInstanceId };
    }
    if (request.generationId !== undefined && request.generationId !== group.generationId) {
      return { error: ErrorCode.IllegalGeneration };
    }
    return { member };
  }

  private removeLeaving(
    group: Group,
    leaving: { memberId: string; groupInstanceId: string | null },
  ): ErrorCodeInfo {
    if (leaving.groupInstanceId !== null) {
      const owner = group.staticMembers.get(leaving.groupInstanceId);
      if (owner === undefined) return ErrorCode.UnknownMemberId;
      if (leaving.memberId !== '' && owner !== leaving.memberId) return ErrorCode.FencedInstanceId;
      group.remove(owner, ErrorCode.UnknownMemberId);
      return ErrorCode.None;
    }
    if (group.pendingMembers.delete(leaving.memberId)) return ErrorCode.None;
    if (!group.members.has(leaving.memberId)) return ErrorCode.UnknownMemberId;
    group.remove(leaving.memberId, ErrorCode.UnknownMemberId);
    return ErrorCode.None;
  }

  // ── offsets ──────────────────────────────────────────────────────────────

  /** Why a commit is refused, or undefined. Generation -1 with no member id: an admin commit. */
  private commitRefusal(request: OffsetCommitRequest, now: number): ErrorCodeInfo | undefined {
    const group = this.groups.get(request.groupId);
    if (request.generationId < 0) {
      return group === undefined || group.isEmpty ? undefined : ErrorCode.UnknownMemberId;
    }
    if (group === undefined) return ErrorCode.IllegalGeneration;
    const checked = this.checkMember(group, request);
    if (checked.error !== undefined) return checked.error;
    if (group.state === 'CompletingRebalance') return ErrorCode.RebalanceInProgress;
    checked.member.sessionDeadlineMs = now + checked.member.sessionTimeoutMs;
    return undefined;
  }

  /** Applies a persisted commit, unless a later commit of the same partition already was. */
  private applyCommit(request: OffsetCommitRequest, sequence: number, now: number): void {
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      // Deleted while the commit was being written: the log now holds the commit after the
      // tombstones, so the group exists again with just these offsets.
      group = new Group(request.groupId, now);
      this.groups.set(request.groupId, group);
    }
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        const key = offsetKey(topic.name, p.partition);
        if ((group.appliedCommitSequence.get(key) ?? 0) > sequence) continue;
        group.appliedCommitSequence.set(key, sequence);
        group.offsets.set(key, { offset: p.offset, metadata: p.metadata, commitTimestampMs: now });
      }
    }
  }

  // ── deleting, persisting, expiring ───────────────────────────────────────

  private async deleteGroup(groupId: string): Promise<ErrorCodeInfo> {
    if (this.unloaded) return ErrorCode.NotCoordinator;
    const group = this.groups.get(groupId);
    if (group === undefined || group.state === 'Dead') return ErrorCode.GroupIdNotFound;
    if (group.state !== 'Empty' || !group.isEmpty) return ErrorCode.NonEmptyGroup;
    const tombstones: OffsetLogRecord[] = [
      { key: encodeKey({ kind: 'group', groupId }), value: null },
    ];
    for (const key of group.offsets.keys()) {
      const [topic = '', partition = '0'] = key.split('\u0000');
      tombstones.push({
        key: encodeKey({ kind: 'offset', groupId, topic, partition: Number(partition) }),
        value: null,
      });
    }
    this.groups.delete(groupId);
    group.transition('Dead', this.options.nowMs());
    try {
      await this.options.log.append(tombstones);
    } catch {
      // Not deleted after all: put it back unless a new group of that name started meanwhile.
      if (!this.unloaded && !this.groups.has(groupId)) {
        group.transition('Empty', this.options.nowMs());
        this.groups.set(groupId, group);
      }
      return ErrorCode.CoordinatorNotAvailable;
    }
    return ErrorCode.None;
  }

  private persistGroup(group: Group, image: StoredGroup): Promise<void> {
    const key = encodeKey({ kind: 'group', groupId: group.groupId });
    return this.options.log.append([{ key, value: encodeGroup(image) }]);
  }

  private persistInBackground(group: Group, rebalancePending = false): void {
    this.persistGroup(group, group.toStored(rebalancePending)).catch((error: unknown) =>
      this.options.onPersistError?.(group.groupId, error),
    );
  }

  private tickGroup(group: Group, now: number): void {
    for (const [memberId, deadline] of group.pendingMembers) {
      if (now >= deadline) group.pendingMembers.delete(memberId);
    }
    let removed = false;
    for (const member of [...group.members.values()]) {
      const sessionOver = member.joinWaiter === undefined && now >= member.sessionDeadlineMs;
      const syncOver = group.awaitingSync.has(member.memberId) && now >= group.syncDeadlineMs;
      if (sessionOver || syncOver) {
        group.remove(member.memberId, ErrorCode.UnknownMemberId);
        removed = true;
      }
    }
    if (removed) this.afterMembershipChange(group, now);
    else this.maybeCompleteJoin(group, now);
  }

  private dropIfVacant(group: Group): void {
    if (group.state === 'Empty' && group.isEmpty && group.offsets.size === 0) {
      if (group.pendingMembers.size === 0) this.groups.delete(group.groupId);
    }
  }
}

function newMember(
  memberId: string,
  request: JoinGroupRequest,
  context: ClientContext,
  now: number,
): Member {
  return {
    memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: context.clientId,
    clientHost: context.clientHost,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    protocolType: request.protocolType,
    protocols: request.protocols,
    assignment: new Uint8Array(0),
    sessionDeadlineMs: now + request.sessionTimeoutMs,
    joinWaiter: undefined,
    syncWaiter: undefined,
  };
}

function updateMember(
  member: Member,
  request: JoinGroupRequest,
  context: ClientContext,
  now: number,
) {
  member.clientId = context.clientId;
  member.clientHost = context.clientHost;
  member.sessionTimeoutMs = request.sessionTimeoutMs;
  member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
  member.protocols = request.protocols;
  member.sessionDeadlineMs = now + request.sessionTimeoutMs;
}

/** Whether the member's subscription for the group's current protocol is byte-identical. */
function sameSubscription(group: Group, member: Member, request: JoinGroupRequest): boolean {
  if (group.protocolName === null) return false;
  const before = group.subscriptionOf(member);
  const after = request.protocols.find((p) => p.name === group.protocolName)?.metadata;
  return after !== undefined && bytesEqual(before, after);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

function commitAnswer(request: OffsetCommitRequest, info: ErrorCodeInfo): OffsetCommitResponse {
  return {
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({ partition: p.partition, error: info.code })),
    })),
  };
}
