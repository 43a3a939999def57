/**
 * Group administration: list, describe (members, their assignments, and per-partition
 * committed offset, log end and lag), delete, and offset resets. A reset needs the group
 * to be empty (no live members, who would overwrite it); it commits as generation -1 with
 * no member id, which the coordinator accepts only for an empty group.
 */
import { Api, ErrorCode, earliestTimestamp, latestTimestamp } from '@tributary/protocol';
import type { CallOptions, CallScope } from '../abort.ts';
import { InvalidArgumentError, protocolError, TributaryProtocolError } from '../errors.ts';
import {
  decodeAssignment,
  decodeSubscription,
  type TopicPartitions,
} from '../group/protocol-metadata.ts';
import type { Cluster } from '../net/cluster.ts';
import type { TopicAdmin } from './topic-admin.ts';

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscription: readonly string[];
  readonly assignment: readonly TopicPartitions[];
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The committed offset (next to consume), -1n if none. */
  readonly committedOffset: bigint;
  /** The partition's high watermark. */
  readonly logEndOffset: bigint;
  /** logEndOffset − committedOffset (from the log start if nothing is committed). */
  readonly lag: bigint;
  /** The member consuming it now, if any. */
  readonly memberId: string | null;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly generationId: number;
  readonly members: readonly GroupMember[];
  readonly offsets: readonly PartitionLag[];
}

export type ResetTarget = 'earliest' | 'latest' | { readonly timestampMs: number };

export class GroupAdmin {
  constructor(
    private readonly cluster: Cluster,
    private readonly topics: TopicAdmin,
  ) {}

  /** Every group, asked of every broker (each lists the groups it coordinates). */
  async listGroups(options: CallOptions = {}) {
    const scope = this.scope('listGroups', options);
    try {
      await this.cluster.retry(scope, () => this.cluster.ensureFresh(scope));
      const lists = await Promise.all(
        this.cluster.metadata
          .brokerIds()
          .map((nodeId) =>
            this.cluster.retry(scope, () =>
              this.cluster.request(nodeId, Api.ListGroups, {}, scope),
            ),
          ),
      );
      const seen = new Map<string, { groupId: string; protocolType: string; state: string }>();
      for (const list of lists) for (const group of list.groups) seen.set(group.groupId, group);
      return { groups: [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1)) };
    } finally {
      scope.dispose();
    }
  }

  async describeGroups(
    groupIds: readonly string[],
    options: CallOptions = {},
  ): Promise<{ groups: GroupDescription[] }> {
    const scope = this.scope('describeGroups', options);
    try {
      return {
        groups: await Promise.all(groupIds.map((groupId) => this.describe(groupId, scope))),
      };
    } finally {
      scope.dispose();
    }
  }

  async deleteGroups(groupIds: readonly string[], options: CallOptions = {}) {
    const scope = this.scope('deleteGroups', options);
    try {
      return await Promise.all(
        groupIds.map(async (groupId) => {
          // Errors in the answer are checked inside the retry: NOT_COORDINATOR re-finds it.
          await this.toCoordinator(groupId, scope, async (nodeId) => {
            const response = await this.cluster.request(
              nodeId,
              Api.DeleteGroups,
              { groupIds: [groupId] },
              scope,
            );
            const result = response.results[0];
            const code = result?.error ?? ErrorCode.UnknownServerError.code;
            if (code !== ErrorCode.None.code)
              throw protocolError(code, `${groupId}: ${result?.message ?? ''}`);
          });
          return { groupId };
        }),
      );
    } finally {
      scope.dispose();
    }
  }

  /** The group's committed offsets (next offset to consume; -1n where none). */
  async fetchOffsets(options: CallOptions & { groupId: string; topics?: readonly string[] }) {
    const scope = this.scope('fetchOffsets', options);
    try {
      const committed = await this.committed(options.groupId, options.topics, scope);
      return [...committed].map(([topic, partitions]) => ({
        topic,
        partitions: [...partitions].map(([partition, offset]) => ({
          partition,
          offset: BigInt(offset),
        })),
      }));
    } finally {
      scope.dispose();
    }
  }

  /** Moves an empty group's offsets for a topic to the earliest, latest or a timestamp. */
  async resetOffsets(
    options: CallOptions & { groupId: string; topic: string; to?: ResetTarget; earliest?: boolean },
  ) {
    const to: ResetTarget = options.to ?? (options.earliest === true ? 'earliest' : 'latest');
    const scope = this.scope('resetOffsets', options);
    try {
      await this.requireEmpty(options.groupId, scope);
      const timestamp =
        to === 'earliest' ? earliestTimestamp : to === 'latest' ? latestTimestamp : to.timestampMs;
      const found = await this.topics.listOffsets(options.topic, timestamp, scope);
      const high =
        typeof to === 'object'
          ? await this.topics.listOffsets(options.topic, latestTimestamp, scope)
          : found;
      const partitions = [...high].map(([partition, end]) => {
        const at = found.get(partition) ?? -1;
        return { partition, offset: at < 0 ? end : at };
      });
      await this.commit(options.groupId, options.topic, partitions, scope);
    } finally {
      scope.dispose();
    }
  }

  /** Sets an empty group's offsets to exact values. */
  async setOffsets(
    options: CallOptions & {
      groupId: string;
      topic: string;
      partitions: readonly { partition: number; offset: bigint | number | string }[];
    },
  ) {
    const partitions = options.partitions.map((p) => {
      const offset = Number(p.offset);
      if (!Number.isSafeInteger(offset) || offset < 0)
        throw new InvalidArgumentError(`invalid offset ${String(p.offset)}`);
      return { partition: p.partition, offset };
    });
    const scope = this.scope('setOffsets', options);
    try {
      await this.requireEmpty(options.groupId, scope);
      await this.commit(options.groupId, options.topic, partitions, scope);
    } finally {
      scope.dispose();
    }
  }

  private async describe(groupId: string, scope: CallScope): Promise<GroupDescription> {
    const group = await this.describedGroup(groupId, scope);
    const members = group.members.map((m): GroupMember => {
      const subscription = safely(() => decodeSubscription(m.metadata).topics, []);
      const assignment = safely(() => decodeAssignment(m.assignment).partitions, []);
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscription,
        assignment,
      };
    });
    const offsets = await this.lag(groupId, members, scope);
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocol: group.protocol,
      generationId: group.generationId,
      members,
      offsets,
    };
  }

  /** Per partition with a commit or an owner: committed offset, log end, lag, owner. */
  private async lag(
    groupId: string,
    members: readonly GroupMember[],
    scope: CallScope,
  ): Promise<PartitionLag[]> {
    const committed = await this.committed(groupId, undefined, scope);
    const owner = new Map<string, string>();
    for (const m of members) {
      for (const entry of m.assignment)
        for (const p of entry.partitions) owner.set(`${entry.topic}/${p}`, m.memberId);
      for (const entry of m.assignment)
        if (!committed.has(entry.topic)) committed.set(entry.topic, new Map());
    }
    const result: PartitionLag[] = [];
    for (const [topic, partitions] of [...committed].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const ends = await this.topics
        .listOffsets(topic, latestTimestamp, scope)
        .catch(() => new Map<number, number>());
      const starts = await this.topics
        .listOffsets(topic, earliestTimestamp, scope)
        .catch(() => new Map<number, number>());
      const all = new Set([
        ...partitions.keys(),
        ...[...owner.keys()]
          .filter((k) => k.startsWith(`${topic}/`))
          .map((k) => Number(k.slice(topic.length + 1))),
      ]);
      for (const partition of [...all].sort((a, b) => a - b)) {
        const offset = partitions.get(partition) ?? -1;
        const end = ends.get(partition) ?? -1;
        const from = offset >= 0 ? offset : (starts.get(partition) ?? 0);
        result.push({
          topic,
          partition,
          committedOffset: BigInt(offset),
          logEndOffset: BigInt(end),
          lag: BigInt(end < 0 ? -1 : Math.max(0, end - from)),
          memberId: owner.get(`${topic}/${partition}`) ?? null,
        });
      }
    }
    return result;
  }

  private async committed(
    groupId: string,
    topics: readonly string[] | undefined,
    scope: CallScope,
  ) {
    let request: { groupId: string; topics: { name: string; partitions: number[] }[] | null } = {
      groupId,
      topics: null,
    };
    if (topics !== undefined) {
      await this.cluster.ensureTopics(topics, scope);
      request = {
        groupId,
        topics: topics.map((name) => ({
          name,
          partitions: Array.from(
            { length: this.cluster.metadata.partitionCount(name) ?? 0 },
            (_, i) => i,
          ),
        })),
      };
    }
    const response = await this.toCoordinator(groupId, scope, async (nodeId) => {
      const answer = await this.cluster.request(nodeId, Api.OffsetFetch, request, scope);
      if (answer.error !== ErrorCode.None.code) throw protocolError(answer.error, answer.message);
      return answer;
    });
    const result = new Map<string, Map<number, number>>();
    for (const topic of response.topics) {
      result.set(topic.name, new Map(topic.partitions.map((p) => [p.partition, p.offset])));
    }
    return result;
  }

  /** DescribeGroups for one group; errors in the answer are retried like any other. */
  private describedGroup(groupId: string, scope: CallScope) {
    return this.toCoordinator(groupId, scope, async (nodeId) => {
      const response = await this.cluster.request(
        nodeId,
        Api.DescribeGroups,
        { groupIds: [groupId] },
        scope,
      );
      const group = response.groups[0];
      if (group === undefined) throw protocolError(ErrorCode.GroupIdNotFound.code, groupId);
      if (group.error !== ErrorCode.None.code)
        throw protocolError(group.error, `${groupId}: ${group.message ?? ''}`);
      return group;
    });
  }

  private async requireEmpty(groupId: string, scope: CallScope): Promise<void> {
    let group: Awaited<ReturnType<GroupAdmin['describedGroup']>>;
    try {
      group = await this.describedGroup(groupId, scope);
    } catch (error) {
      // A group nobody ever used is empty.
      if (error instanceof TributaryProtocolError && error.is(ErrorCode.GroupIdNotFound)) return;
      throw error;
    }
    if (group.members.length > 0 && group.state !== 'Empty' && group.state !== 'Dead') {
      throw protocolError(
        ErrorCode.NonEmptyGroup.code,
        `${groupId} has ${group.members.length} member(s) (${group.state})`,
      );
    }
  }

  private async commit(
    groupId: string,
    topic: string,
    partitions: readonly { partition: number; offset: number }[],
    scope: CallScope,
  ) {
    await this.toCoordinator(groupId, scope, async (nodeId) => {
      const response = await this.cluster.request(
        nodeId,
        Api.OffsetCommit,
        {
          groupId,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: topic, partitions: partitions.map((p) => ({ ...p, metadata: '' })) }],
        },
        scope,
      );
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.error === ErrorCode.UnknownMemberId.code) {
            throw protocolError(
              ErrorCode.NonEmptyGroup.code,
              `${groupId} got members while resetting`,
            );
          }
          if (p.error !== ErrorCode.None.code)
            throw protocolError(p.error, `${t.name}/${p.partition}`);
        }
      }
    });
  }

  private toCoordinator<T>(
    groupId: string,
    scope: CallScope,
    send: (nodeId: number) => Promise<T>,
  ): Promise<T> {
    return this.cluster.retry(scope, async () => {
      try {
        return await send(await this.cluster.coordinatorOf(groupId, scope));
      } catch (error) {
        this.cluster.noteError(error, { groupId });
        throw error;
      }
    });
  }

  private scope(what: string, options: CallOptions): CallScope {
    return this.cluster.scope(what, options, this.cluster.options.requestTimeoutMs);
  }
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
