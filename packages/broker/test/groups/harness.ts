/**
 * Test harness for the group coordinator: a manual clock, an in-memory offset log whose
 * appends can be held and failed, and small request builders.
 */
import type {
  JoinGroupRequest,
  JoinGroupResponse,
  OffsetCommitRequest,
  SyncGroupRequest,
} from '@tributary/protocol';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../src/groups/coordinator.ts';
import type { OffsetLog, OffsetLogRecord } from '../../src/groups/offset-log.ts';

export class MemoryOffsetLog implements OffsetLog {
  readonly records: OffsetLogRecord[] = [];
  /** When true, appends wait until `release()`; when `failNext`, the next append rejects. */
  hold = false;
  failNext = false;
  private held: { records: readonly OffsetLogRecord[]; resolve: () => void }[] = [];

  append(records: readonly OffsetLogRecord[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('append failed'));
    }
    if (!this.hold) {
      this.records.push(...records);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.held.push({ records, resolve }));
  }

  /** Completes held appends in call order. */
  release(): void {
    for (const entry of this.held.splice(0)) {
      this.records.push(...entry.records);
      entry.resolve();
    }
  }

  get heldCount(): number {
    return this.held.length;
  }
}

export class ManualClock {
  constructor(public now = 1_000_000) {}
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

export function makeCoordinator(overrides: Partial<GroupCoordinatorOptions> = {}) {
  const clock = new ManualClock();
  const log = new MemoryOffsetLog();
  const coordinator = new GroupCoordinator({
    nowMs: () => clock.now,
    log,
    instanceTag: 'n1',
    ...overrides,
  });
  return { clock, log, coordinator };
}

export const context = { clientId: 'app', clientHost: '127.0.0.1' };
export const sessionTimeoutMs = 10_000;
export const rebalanceTimeoutMs = 30_000;

export function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: new Uint8Array([1]) }],
    ...overrides,
  };
}

export function syncRequest(
  memberId: string,
  generationId: number,
  assignments: { memberId: string; assignment: Uint8Array }[] = [],
  overrides: Partial<SyncGroupRequest> = {},
): SyncGroupRequest {
  return { groupId: 'g', generationId, memberId, groupInstanceId: null, assignments, ...overrides };
}

export function commitRequest(
  memberId: string,
  generationId: number,
  offset: number,
  overrides: Partial<OffsetCommitRequest> = {},
): OffsetCommitRequest {
  return {
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partition: 0, offset, metadata: '' }] }],
    ...overrides,
  };
}

/** Lets resolved promises and their continuations run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Joins a new dynamic member through the MEMBER_ID_REQUIRED handshake; returns its pending answer. */
export async function joinNew(
  coordinator: GroupCoordinator,
  overrides: Partial<JoinGroupRequest> = {},
): Promise<{ memberId: string; answer: Promise<JoinGroupResponse> }> {
  const first = await coordinator.joinGroup(joinRequest(overrides), context);
  if (first.error !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.error}`);
  const answer = coordinator.joinGroup(
    joinRequest({ ...overrides, memberId: first.memberId }),
    context,
  );
  return { memberId: first.memberId, answer };
}

export const bytes = (...values: number[]) => new Uint8Array(values);
