/**
 * One consumer group on its coordinator: members, generation, state, and the pending
 * JoinGroup / SyncGroup answers. Pure and synchronous: the time comes in as `nowMs`
 * arguments, persistence is the coordinator's job. The state machine is Kafka's classic
 * group protocol:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / rebalance deadline──▶ CompletingRebalance
 *     ▲                 ▲      │ (no members left)                             │ leader's SyncGroup
 *     └─────────────────┼──────┘                                               ▼ persisted
 *                       └──── member joins with new metadata, leaves, expires ── Stable
 *   any state ──DeleteGroups (when Empty) / unload──▶ Dead
 *
 * Invariants (asserted): a member appears once; a member waiting for a JoinGroup answer
 * exists only while PreparingRebalance; SyncGroup answers carrying an assignment are given
 * only for the group's current generation, and only to members of that generation (every
 * member of a CompletingRebalance or Stable group joined the current generation, since
 * `completeJoin` removes dynamic members that did not rejoin and answers everyone else).
 */
import {
  ErrorCode,
  type ErrorCodeInfo,
  type JoinGroupResponse,
  type SyncGroupResponse,
} from '@tributary/protocol';
import { assert } from '../errors.ts';
import type { CommittedOffset, StoredGroup } from './offset-records.ts';
import { selectProtocol } from './protocol-selection.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface Member {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly MemberProtocol[];
  /** This member's assignment in the current generation (empty until the leader syncs). */
  assignment: Uint8Array;
  sessionDeadlineMs: number;
  /** Set while this member's JoinGroup waits for the round to complete. */
  joinWaiter: ((response: JoinGroupResponse) => void) | undefined;
  /** Set while this member's SyncGroup waits for the leader's assignment. */
  syncWaiter: ((response: SyncGroupResponse) => void) | undefined;
}

const emptyBytes = new Uint8Array(0);

export function joinError(
  info: ErrorCodeInfo,
  memberId: string,
  message?: string,
): JoinGroupResponse {
  return {
    error: info.code,
    ...(message === undefined ? {} : { message }),
    generationId: -1,
    protocolName: '',
    leader: '',
    memberId,
    members: [],
  };
}

export function syncError(info: ErrorCodeInfo, message?: string): SyncGroupResponse {
  return {
    error: info.code,
    ...(message === undefined ? {} : { message }),
    assignment: emptyBytes,
  };
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  stateTimestampMs: number;
  readonly members = new Map<string, Member>();
  /** groupInstanceId → memberId, for static members. */
  readonly staticMembers = new Map<string, string>();
  /** Dynamic members told MEMBER_ID_REQUIRED, with the deadline to come back by. */
  readonly pendingMembers = new Map<string, number>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly awaitingSync = new Set<string>();
  readonly offsets = new Map<string, CommittedOffset>();
  /** Per offset key, the coordinator's sequence number of the commit last applied. */
  readonly appliedCommitSequence = new Map<string, number>();
  rebalanceDeadlineMs = 0;
  /** A new group's first round does not complete before this (initial rebalance delay). */
  joinNotBeforeMs = 0;
  syncDeadlineMs = 0;
  /** The generation whose leader assignment is being persisted, or -1. */
  assignmentPersistingGeneration = -1;

  constructor(
    readonly groupId: string,
    nowMs: number,
  ) {
    this.stateTimestampMs = nowMs;
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  transition(state: GroupState, nowMs: number): void {
    this.state = state;
    this.stateTimestampMs = nowMs;
  }

  /** Whether every member is waiting in JoinGroup and no MEMBER_ID_REQUIRED member is due. */
  allJoined(nowMs: number): boolean {
    if (nowMs < this.joinNotBeforeMs || this.pendingMembers.size > 0) return false;
    for (const member of this.members.values()) if (member.joinWaiter === undefined) return false;
    return true;
  }

  /** The longest rebalance timeout among members: how long a round may take. */
  rebalanceTimeoutMs(): number {
    let longest = 0;
    for (const member of this.members.values()) {
      longest = Math.max(longest, member.rebalanceTimeoutMs);
    }
    return longest;
  }

  /** Whether `protocols` can join: same type, and one protocol every member supports. */
  supports(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (this.isEmpty) return protocolType.length > 0 && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((protocol) =>
      [...this.members.values()].every((m) => m.protocols.some((p) => p.name === protocol.name)),
    );
  }

  add(member: Member): void {
    if (this.members.has(member.memberId)) assert(false, `member ${member.memberId} added twice`);
    if (this.isEmpty) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) {
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  /** Removes a member, answering its pending requests with `error`. */
  remove(memberId: string, error: ErrorCodeInfo): void {
    const member = this.members.get(memberId);
    if (member === undefined) return;
    this.members.delete(memberId);
    this.awaitingSync.delete(memberId);
    if (
      member.groupInstanceId !== null &&
      this.staticMembers.get(member.groupInstanceId) === memberId
    ) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.answerJoin(member, joinError(error, memberId));
    this.answerSync(member, syncError(error));
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /**
   * Gives a static member a new member id (its instance restarted), keeping its place and
   * assignment. The old id's waiting requests are answered FENCED_INSTANCE_ID.
   */
  replaceStaticMember(oldId: string, newId: string): Member {
    const member = this.members.get(oldId);
    assert(
      member !== undefined && member.groupInstanceId !== null,
      'replacing a non-static member',
    );
    this.answerJoin(member, joinError(ErrorCode.FencedInstanceId, oldId));
    this.answerSync(member, syncError(ErrorCode.FencedInstanceId));
    this.members.delete(oldId);
    member.memberId = newId;
    this.members.set(newId, member);
    this.staticMembers.set(member.groupInstanceId, newId);
    if (this.awaitingSync.delete(oldId)) this.awaitingSync.add(newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    return member;
  }

  answerJoin(member: Member, response: JoinGroupResponse): void {
    const waiter = member.joinWaiter;
    member.joinWaiter = undefined;
    waiter?.(response);
  }

  answerSync(member: Member, response: SyncGroupResponse): void {
    const waiter = member.syncWaiter;
    member.syncWaiter = undefined;
    waiter?.(response);
  }

  /** Starts a rebalance round. Waiting SyncGroups learn that their generation is over. */
  prepareRebalance(nowMs: number, initialDelayMs: number): void {
    assert(this.state !== 'Dead', 'rebalancing a dead group');
    if (this.state === 'CompletingRebalance') {
      for (const member of this.members.values()) {
        this.answerSync(member, syncError(ErrorCode.RebalanceInProgress));
      }
    }
    for (const member of this.members.values()) member.assignment = emptyBytes;
    this.awaitingSync.clear();
    this.assignmentPersistingGeneration = -1;
    this.joinNotBeforeMs = this.state === 'Empty' ? nowMs + initialDelayMs : nowMs;
    this.rebalanceDeadlineMs = Math.max(nowMs + this.rebalanceTimeoutMs(), this.joinNotBeforeMs);
    this.transition('PreparingRebalance', nowMs);
  }

  /**
   * Ends the join phase: drops dynamic members that did not rejoin and MEMBER_ID_REQUIRED
   * members that did not come back, starts the next generation, and answers every waiting
   * JoinGroup (the leader gets the member list). Static members that did not rejoin stay,
   * as in Kafka: their session timeout decides whether they are gone.
   */
  completeJoin(nowMs: number): void {
    if (this.state !== 'PreparingRebalance') assert(false, `completeJoin in ${this.state}`);
    for (const member of [...this.members.values()]) {
      if (member.joinWaiter === undefined && member.groupInstanceId === null) {
        this.remove(member.memberId, ErrorCode.UnknownMemberId);
      }
    }
    this.pendingMembers.clear();
    this.generationId += 1;
    if (this.isEmpty) {
      this.protocolName = null;
      this.leaderId = null;
      this.transition('Empty', nowMs);
      return;
    }
    this.protocolName = selectProtocol([...this.members.values()].map((m) => m.protocols));
    if (this.leaderId === null || this.members.get(this.leaderId)?.joinWaiter === undefined) {
      const joined = [...this.members.values()].find((m) => m.joinWaiter !== undefined);
      this.leaderId = joined?.memberId ?? this.members.keys().next().value ?? null;
    }
    this.transition('CompletingRebalance', nowMs);
    this.syncDeadlineMs = nowMs + this.rebalanceTimeoutMs();
    for (const member of this.members.values()) {
      this.awaitingSync.add(member.memberId);
      member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
      this.answerJoin(member, this.joinAnswer(member));
    }
  }

  /** The JoinGroup answer for a member of the current generation. */
  joinAnswer(member: Member): JoinGroupResponse {
    assert(this.protocolName !== null && this.leaderId !== null, 'answer without a generation');
    const isLeader = member.memberId === this.leaderId;
    return {
      error: ErrorCode.None.code,
      generationId: this.generationId,
      protocolName: this.protocolName,
      leader: this.leaderId,
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: this.subscriptionOf(m),
          }))
        : [],
    };
  }

  subscriptionOf(member: Member): Uint8Array {
    const name = this.protocolName;
    return member.protocols.find((p) => p.name === name)?.metadata ?? emptyBytes;
  }

  /** Installs the leader's assignment for the current generation and goes Stable. */
  applyAssignment(
    generationId: number,
    assignments: ReadonlyMap<string, Uint8Array>,
    nowMs: number,
  ) {
    assert(generationId === this.generationId, 'assignment of another generation');
    if (this.state !== 'CompletingRebalance') assert(false, `assignment applied in ${this.state}`);
    for (const member of this.members.values()) {
      member.assignment = assignments.get(member.memberId) ?? emptyBytes;
    }
    this.transition('Stable', nowMs);
    this.assignmentPersistingGeneration = -1;
    for (const member of this.members.values()) {
      if (member.syncWaiter !== undefined) {
        this.awaitingSync.delete(member.memberId);
        this.answerSync(member, { error: ErrorCode.None.code, assignment: member.assignment });
      }
    }
  }

  /**
   * The group's persistent image (what a new coordinator needs to continue it);
   * `rebalancePending` when members just left a stable generation.
   */
  toStored(rebalancePending = false): StoredGroup {
    return {
      ...(rebalancePending ? { rebalancePending } : {}),
      protocolType: this.protocolType ?? '',
      generationId: this.generationId,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      stateTimestampMs: this.stateTimestampMs,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscription: this.subscriptionOf(m),
        assignment: m.assignment,
      })),
    };
  }

  /** Restores a persisted group: Stable with its members (sessions restart now), or Empty. */
  restore(stored: StoredGroup, nowMs: number): void {
    this.members.clear();
    this.staticMembers.clear();
    this.generationId = stored.generationId;
    this.protocolType = stored.protocolType === '' ? null : stored.protocolType;
    this.protocolName = stored.protocolName;
    this.leaderId = null;
    for (const m of stored.members) {
      this.add({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocolType: stored.protocolType,
        protocols: [{ name: stored.protocolName ?? '', metadata: m.subscription }],
        assignment: m.assignment,
        sessionDeadlineMs: nowMs + m.sessionTimeoutMs,
        joinWaiter: undefined,
        syncWaiter: undefined,
      });
    }
    if (stored.leaderId !== null && this.members.has(stored.leaderId)) {
      this.leaderId = stored.leaderId;
    }
    if (this.isEmpty || stored.protocolName === null) {
      this.members.clear();
      this.staticMembers.clear();
      this.leaderId = null;
      this.protocolName = null;
      this.transition('Empty', nowMs);
    } else {
      this.transition('Stable', nowMs);
    }
  }
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
