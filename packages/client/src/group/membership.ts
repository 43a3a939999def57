/**
 * A consumer's membership in a group (Kafka's classic protocol, client side). Two loops:
 *
 * - the **membership loop** finds the coordinator, joins (the MEMBER_ID_REQUIRED handshake
 *   included), lets the leader compute the assignment with the chosen assignor, syncs, and
 *   hands the consumer what it gained and lost; it runs again whenever a rejoin is needed;
 * - the **heartbeat loop** keeps the session alive every `heartbeatIntervalMs` while the
 *   member holds a generation, also while the application processes or revokes, and turns
 *   the coordinator's answers into actions: REBALANCE_IN_PROGRESS → rejoin;
 *   ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID → the partitions are lost (others may own them
 *   now) and the member rejoins; but a cooperative member whose SyncGroup gets
 *   ILLEGAL_GENERATION keeps what it owns and rejoins claiming it (no assignment was handed
 *   out in that round: typically a coordinator that took over reloaded the last stored
 *   generation, issue 7); FENCED_INSTANCE_ID → another instance took this static
 *   identity over: the member stops with an error.
 *
 * Eager assignors (range, roundrobin): every partition is revoked before rejoining.
 * Cooperative (cooperative-sticky): only partitions missing from the new assignment are
 * revoked, after which the member rejoins at once so they can move.
 *
 * If the coordinator cannot be reached for a whole session timeout, the member treats its
 * partitions as lost: the coordinator has removed it by then, so keeping on would risk two
 * owners.
 */
import { Api, ErrorCode, type JoinGroupResponse } from '@tributary/protocol';
import { CallScope, sleep } from '../abort.ts';
import { backoffDelayMs } from '../backoff.ts';
import {
  ClientClosedError,
  protocolError,
  TributaryClientError,
  TributaryProtocolError,
} from '../errors.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { Cluster } from '../net/cluster.ts';
import type { Assignor, AssignorMember } from './assignors/types.ts';
import {
  consumerProtocolType,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from './protocol-metadata.ts';

export interface MembershipOptions {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly assignors: readonly Assignor[];
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface MembershipHooks {
  /** Topics this member subscribes to now (patterns resolved against metadata). */
  subscribedTopics(): Promise<string[]>;
  /** Stop consuming these, wait for their handlers, commit what was consumed. */
  revoke(partitions: TopicPartitionRef[]): Promise<void>;
  /** Start consuming these (from the committed offsets). */
  assign(partitions: TopicPartitionRef[]): Promise<void>;
  /** These may be owned by someone else already: drop them without committing. */
  lose(partitions: TopicPartitionRef[]): Promise<void>;
  /** The member cannot continue (fenced, misconfigured). */
  fail(error: TributaryClientError): void;
}

const key = (tp: TopicPartitionRef) => `${tp.topic}\u0000${tp.partition}`;

export class GroupMembership {
  memberId = '';
  generationId = -1;
  private protocol: Assignor | undefined;
  private owned: TopicPartitionRef[] = [];
  /**
   * Eager protocol: the partitions given up just before this join. The JoinGroup reports
   * them as owned (with the generation they were owned in), so a sticky eager assignor (the
   * streams task assignor) can leave them where they were; reporting nothing made every
   * eager rebalance spread them afresh. A placement hint, not a claim: nobody owns them
   * meanwhile. Cleared once an assignment is applied or everything is lost.
   */
  private revokedForJoin: TopicPartitionRef[] = [];
  private needsJoin = true;
  private joining = false;
  /**
   * The application's handling of the last lost partitions. A new assignment waits for it:
   * the rejoin starts at once, but `onPartitionsAssigned` must not run before the loss it
   * follows has been handled, or the late loss would undo the new assignment's work.
   */
  private losing: Promise<void> = Promise.resolve();
  private stopped = false;
  private wakeLoop: (() => void) | undefined;
  private lastHeartbeatOkMs = 0;
  private readonly stopController = new AbortController();
  private loops: Promise<void> | undefined;
  private rejoinReason = 'first join';

  constructor(
    private readonly cluster: Cluster,
    private readonly options: MembershipOptions,
    private readonly hooks: MembershipHooks,
    private readonly logger: Logger,
    private readonly emitter: ClientEmitter,
  ) {}

  get assignment(): readonly TopicPartitionRef[] {
    return this.owned;
  }

  get inGeneration(): boolean {
    return this.generationId >= 0 && !this.needsJoin;
  }

  start(): void {
    if (this.loops !== undefined) return;
    this.loops = Promise.all([this.membershipLoop(), this.heartbeatLoop()]).then(() => {});
  }

  /** Asks for a rebalance (subscription changed, topics appeared, a commit was refused). */
  requestRejoin(reason: string): void {
    if (!this.needsJoin) this.rejoinReason = reason;
    this.needsJoin = true;
    this.wakeLoop?.();
  }

  /** Stops both loops at once, as a crashed process would: no revoke, no commit, no leave. */
  abandon(): void {
    this.stopped = true;
    this.stopController.abort(new ClientClosedError('consumer abandoned'));
    this.wakeLoop?.();
  }

  /** Leaves the group (dynamic members) after revoking; static members just go quiet. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopController.abort(new ClientClosedError('consumer stopped'));
    this.wakeLoop?.();
    await this.loops?.catch(() => {});
    if (this.owned.length > 0) await this.hooks.revoke(this.owned).catch(() => {});
    this.owned = [];
    if (this.options.groupInstanceId === null && this.memberId !== '') await this.leave();
  }

  private async membershipLoop(): Promise<void> {
    for (let failures = 0; !this.stopped; ) {
      if (!this.needsJoin) {
        await this.waitForWork();
        continue;
      }
      try {
        await this.rebalance();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        if (!(error instanceof TributaryClientError) || !error.retriable) {
          if (isFatal(error)) {
            this.hooks.fail(error as TributaryClientError);
            return;
          }
        }
        this.logger.warn('group rebalance failed; retrying', {
          groupId: this.options.groupId,
          error,
        });
        this.emitter.emit('error', { source: 'group', error });
        await sleep(
          backoffDelayMs(failures, this.cluster.options.retry),
          this.stopController.signal,
        ).catch(() => {});
        failures += 1;
      }
    }
  }

  private waitForWork(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLoop = () => {
        this.wakeLoop = undefined;
        resolve();
      };
    });
  }

  /** One round: revoke (eager), join, assign (leader), sync, apply. */
  private async rebalance(): Promise<void> {
    const started = Date.now();
    this.emitter.emit('rebalance', {
      groupId: this.options.groupId,
      memberId: this.memberId,
      generationId: this.generationId,
      phase: 'joining',
    });
    this.logger.info('joining group', { groupId: this.options.groupId, reason: this.rejoinReason });
    if (this.protocol?.protocol !== 'cooperative' && this.owned.length > 0) {
      const all = this.owned;
      this.owned = [];
      this.revokedForJoin = all;
      await this.hooks.revoke(all);
    }
    this.needsJoin = false;
    this.joining = true;
    const generationOwned = this.generationId;
    let joined: JoinGroupResponse;
    let assigned: TopicPartitionRef[];
    try {
      joined = await this.join();
      assigned = await this.sync(joined, generationOwned);
    } catch (error) {
      this.needsJoin = true;
      throw error;
    } finally {
      this.joining = false;
    }
    await this.apply(assigned, started);
  }

  private async join(): Promise<JoinGroupResponse> {
    const topics = await this.hooks.subscribedTopics();
    this.cluster.track(topics);
    for (;;) {
      const scope = this.scope(
        'JoinGroup',
        this.options.rebalanceTimeoutMs + this.cluster.options.requestTimeoutMs,
      );
      let response: JoinGroupResponse;
      try {
        response = await this.toCoordinator(scope, (nodeId) =>
          this.cluster.request(
            nodeId,
            Api.JoinGroup,
            {
              groupId: this.options.groupId,
              sessionTimeoutMs: this.options.sessionTimeoutMs,
              rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
              memberId: this.memberId,
              groupInstanceId: this.options.groupInstanceId,
              protocolType: consumerProtocolType,
              protocols: this.protocols(topics),
            },
            scope,
            this.options.rebalanceTimeoutMs,
          ),
        );
      } finally {
        scope.dispose();
      }
      if (response.error === ErrorCode.MemberIdRequired.code) {
        this.memberId = response.memberId;
        continue;
      }
      if (response.error !== ErrorCode.None.code)
        await this.onGroupError(response.error, response.message);
      this.memberId = response.memberId;
      this.generationId = response.generationId;
      this.protocol = this.options.assignors.find((a) => a.name === response.protocolName);
      if (this.protocol === undefined) {
        throw protocolError(
          ErrorCode.InvalidRequest.code,
          `group chose unknown assignor ${response.protocolName}`,
        );
      }
      return response;
    }
  }

  private protocols(topics: string[]) {
    const ownedByTopic = new Map<string, number[]>();
    for (const tp of [...this.owned, ...this.revokedForJoin])
      ownedByTopic.set(tp.topic, [...(ownedByTopic.get(tp.topic) ?? []), tp.partition]);
    const metadata = encodeSubscription({
      topics,
      ownedPartitions: [...ownedByTopic].map(([topic, partitions]) => ({ topic, partitions })),
      generationId: this.generationId,
      userData: null,
      rackId: null,
    });
    return this.options.assignors.map((assignor) => ({ name: assignor.name, metadata }));
  }

  /** `generationOwned`: the generation whose assignment this member holds now. */
  private async sync(
    joined: JoinGroupResponse,
    generationOwned: number,
  ): Promise<TopicPartitionRef[]> {
    const assignments =
      joined.leader === joined.memberId && joined.members.length > 0
        ? await this.computeAssignment(joined)
        : [];
    const scope = this.scope(
      'SyncGroup',
      this.options.rebalanceTimeoutMs + this.cluster.options.requestTimeoutMs,
    );
    try {
      const response = await this.toCoordinator(scope, (nodeId) =>
        this.cluster.request(
          nodeId,
          Api.SyncGroup,
          {
            groupId: this.options.groupId,
            generationId: joined.generationId,
            memberId: joined.memberId,
            groupInstanceId: this.options.groupInstanceId,
            assignments,
          },
          scope,
          this.options.rebalanceTimeoutMs,
        ),
      );
      if (response.error === ErrorCode.IllegalGeneration.code && this.keepsOwnedOnStaleSync()) {
        // The coordinator still knows this member but not this generation: it moved (a new
        // coordinator reloaded the last stored generation) or a newer round began. No new
        // assignment was handed out, so what this member owns was given to nobody else: a
        // cooperative member keeps it and rejoins claiming it. Losing it here made every
        // member of a round interrupted by a coordinator move drop everything, and the
        // next round reassigned all partitions (issue 7). Back to the generation that
        // assignment belongs to: heartbeats until the rejoin, and the rejoin's claim, carry
        // it (heartbeating with the refused one would be ILLEGAL_GENERATION, a loss).
        this.generationId = generationOwned;
        this.requestRejoin('generation changed while syncing');
        throw new TributaryProtocolError(
          { ...ErrorCode.RebalanceInProgress, retriable: true },
          response.message,
        );
      }
      if (response.error !== ErrorCode.None.code)
        await this.onGroupError(response.error, response.message);
      return decodeAssignment(response.assignment).partitions.flatMap(({ topic, partitions }) =>
        partitions.map((partition) => ({ topic, partition })),
      );
    } finally {
      scope.dispose();
    }
  }

  private keepsOwnedOnStaleSync(): boolean {
    return this.protocol?.protocol === 'cooperative';
  }

  /** The leader's job: everyone's subscription and the partition counts, through the assignor. */
  private async computeAssignment(joined: JoinGroupResponse) {
    const members: AssignorMember[] = joined.members.map((m) => {
      let subscription: AssignorMember['subscription'];
      try {
        subscription = decodeSubscription(m.metadata);
      } catch {
        subscription = {
          topics: [],
          ownedPartitions: [],
          generationId: -1,
          userData: null,
          rackId: null,
        };
      }
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription };
    });
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))];
    this.cluster.track(topics);
    const scope = this.scope('metadata', this.cluster.options.requestTimeoutMs);
    try {
      await this.cluster.retry(scope, () => this.cluster.refreshMetadata(scope));
    } finally {
      scope.dispose();
    }
    const partitionsPerTopic = new Map<string, number>();
    for (const topic of topics) {
      const count = this.cluster.metadata.partitionCount(topic);
      if (count !== undefined) partitionsPerTopic.set(topic, count);
    }
    const result = this.protocol!.assign({ members, partitionsPerTopic });
    return members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({
        partitions: result.get(m.memberId) ?? ([] as TopicPartitions[]),
        userData: null,
      }),
    }));
  }

  /** Applies a new assignment: revoke what is gone (cooperative), assign what is new. */
  private async apply(assigned: TopicPartitionRef[], started: number): Promise<void> {
    await this.losing;
    this.revokedForJoin = [];

    const next = new Set(assigned.map(key));
    const before = new Set(this.owned.map(key));
    const revoked = this.owned.filter((tp) => !next.has(key(tp)));
    const added = assigned.filter((tp) => !before.has(key(tp)));
    if (revoked.length > 0) {
      this.owned = this.owned.filter((tp) => next.has(key(tp)));
      await this.hooks.revoke(revoked);
    }
    this.owned = assigned;
    if (added.length > 0) await this.hooks.assign(added);
    this.lastHeartbeatOkMs = Date.now();
    this.emitter.emit('rebalance', {
      groupId: this.options.groupId,
      memberId: this.memberId,
      generationId: this.generationId,
      phase: 'assigned',
      assigned: added,
      revoked,
      assignment: assigned,
      durationMs: Date.now() - started,
    });
    // Cooperative: what we gave up can now move to its new owner in the next generation.
    if (revoked.length > 0 && this.protocol?.protocol === 'cooperative')
      this.requestRejoin('partitions revoked');
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.options.heartbeatIntervalMs, this.stopController.signal).catch(() => {});
      if (this.stopped) return;
      if (this.joining || this.generationId < 0 || this.memberId === '') continue;
      await this.heartbeat();
    }
  }

  private async heartbeat(): Promise<void> {
    const scope = this.scope(
      'Heartbeat',
      Math.min(this.options.sessionTimeoutMs, this.cluster.options.requestTimeoutMs),
    );
    try {
      const response = await this.toCoordinator(scope, (nodeId) =>
        this.cluster.request(
          nodeId,
          Api.Heartbeat,
          {
            groupId: this.options.groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId: this.options.groupInstanceId,
          },
          scope,
        ),
      );
      if (this.joining) return; // a rebalance started meanwhile: this answer is about the old round
      if (response.error === ErrorCode.None.code) {
        this.lastHeartbeatOkMs = Date.now();
        return;
      }
      if (response.error === ErrorCode.RebalanceInProgress.code) {
        this.lastHeartbeatOkMs = Date.now();
        this.requestRejoin('the group is rebalancing');
        return;
      }
      await this.onGroupError(response.error, response.message).catch((error: unknown) => {
        if (isFatal(error)) this.hooks.fail(error as TributaryClientError);
      });
    } catch (error) {
      if (this.stopped) return;
      this.logger.debug('heartbeat failed', { error });
      if (Date.now() - this.lastHeartbeatOkMs > this.options.sessionTimeoutMs) {
        await this.loseAll('coordinator unreachable for a session timeout');
      }
    } finally {
      scope.dispose();
    }
  }

  /** Maps a group error to what it means for this member, then throws it (for retry). */
  private async onGroupError(code: number, message: string | undefined): Promise<never> {
    const error = protocolError(code, message);
    if (code === ErrorCode.UnknownMemberId.code || code === ErrorCode.IllegalGeneration.code) {
      await this.loseAll(
        error.errorCode === ErrorCode.UnknownMemberId.code ? 'unknown member' : 'stale generation',
      );
      if (code === ErrorCode.UnknownMemberId.code) this.memberId = '';
      this.generationId = -1;
      throw new TributaryProtocolError(
        { ...ErrorCode.RebalanceInProgress, retriable: true },
        error.message,
        {
          cause: error,
        },
      );
    }
    if (code === ErrorCode.RebalanceInProgress.code) {
      this.requestRejoin('the group is rebalancing');
      throw new TributaryProtocolError(
        { ...ErrorCode.RebalanceInProgress, retriable: true },
        message,
      );
    }
    if (code === ErrorCode.NotCoordinator.code || code === ErrorCode.CoordinatorNotAvailable.code) {
      this.cluster.forgetCoordinator(this.options.groupId);
    }
    throw error;
  }

  private async loseAll(reason: string): Promise<void> {
    const lost = this.owned;
    this.owned = [];
    this.revokedForJoin = [];
    if (lost.length > 0) {
      this.logger.warn('partitions lost', {
        groupId: this.options.groupId,
        reason,
        count: lost.length,
      });
      const handled = this.hooks.lose(lost).catch(() => {});
      this.losing = this.losing.then(() => handled);
    }
    this.requestRejoin(reason);
    await this.losing;
  }

  private async leave(): Promise<void> {
    const scope = new CallScope('LeaveGroup', {}, this.cluster.options.requestTimeoutMs);
    try {
      await this.toCoordinator(scope, (nodeId) =>
        this.cluster.request(
          nodeId,
          Api.LeaveGroup,
          {
            groupId: this.options.groupId,
            members: [{ memberId: this.memberId, groupInstanceId: null }],
          },
          scope,
        ),
      );
    } catch (error) {
      this.logger.debug('leave group failed', { error });
    } finally {
      scope.dispose();
      this.memberId = '';
      this.generationId = -1;
    }
  }

  /** Sends to the group's coordinator, retrying (and re-finding it) on retriable errors. */
  toCoordinator<T>(scope: CallScope, send: (nodeId: number) => Promise<T>): Promise<T> {
    return this.cluster.retry(scope, async () => {
      try {
        return await send(await this.cluster.coordinatorOf(this.options.groupId, scope));
      } catch (error) {
        this.cluster.noteError(error, { groupId: this.options.groupId });
        throw error;
      }
    });
  }

  private scope(what: string, timeoutMs: number): CallScope {
    return new CallScope(what, { signal: this.stopController.signal }, timeoutMs);
  }
}

function isFatal(error: unknown): boolean {
  if (!(error instanceof TributaryProtocolError)) return false;
  return [
    ErrorCode.FencedInstanceId.code,
    ErrorCode.InvalidSessionTimeout.code,
    ErrorCode.InvalidRequest.code,
    ErrorCode.GroupIdNotFound.code,
    ErrorCode.UnsupportedVersion.code,
  ].includes(error.errorCode);
}
