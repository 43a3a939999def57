/**
 * Issue 7: a coordinator that takes over in the middle of a round reloads the last stored
 * generation, so the members' SyncGroup for the round they joined at the old coordinator is
 * answered ILLEGAL_GENERATION. No assignment was handed out in that round, so a cooperative
 * member must keep what it owns and rejoin claiming it; losing everything made the next round
 * reassign every partition of the group. A scripted coordinator plays that sequence against
 * the real membership loop: generation 1 assigns both partitions, the heartbeat announces a
 * rebalance, the SyncGroup of generation 2 is refused as a reloaded coordinator would, and
 * the rejoin is inspected.
 */
import { Api, ErrorCode } from '@tributary/protocol';
import test from 'ava';
import { cooperativeStickyAssignor } from '../../src/group/assignors/index.ts';
import { GroupMembership, type TopicPartitionRef } from '../../src/group/membership.ts';
import { decodeSubscription } from '../../src/group/protocol-metadata.ts';
import { type ClientEvents, Emitter } from '../../src/instrumentation.ts';
import { silentLogger } from '../../src/logger.ts';
import { Cluster } from '../../src/net/cluster.ts';
import { defaultRetryPolicy } from '../../src/retry.ts';
import {
  type Exchange,
  singleBrokerCoordinator,
  singleBrokerMetadata,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

const memberId = 'member-1';
const refusedGeneration = 2;

interface JoinRequestBody {
  memberId: string;
  protocols: { name: string; metadata: Uint8Array }[];
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a cooperative member keeps its partitions when its SyncGroup meets a reloaded coordinator', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  const joins: { generationId: number; owned: number[] }[] = [];
  let heartbeats = 0;
  /** The generation the scripted coordinator is at (it reloads generation 1 on the refusal). */
  let coordinatorGeneration = 0;
  const heartbeatGenerations: number[] = [];
  broker.handle((exchange: Exchange) => {
    const body = exchange.frame.body as Record<string, unknown>;
    switch (exchange.frame.api) {
      case Api.Metadata:
        exchange.reply(singleBrokerMetadata(broker, { t: 2 }));
        return;
      case Api.FindCoordinator:
        exchange.reply(singleBrokerCoordinator(broker));
        return;
      case Api.JoinGroup: {
        const join = body as unknown as JoinRequestBody;
        if (join.memberId === '') {
          exchange.reply({
            error: ErrorCode.MemberIdRequired.code,
            generationId: -1,
            protocolName: '',
            leader: '',
            memberId,
            members: [],
          });
          return;
        }
        const metadata = join.protocols[0]!.metadata;
        const claimed = decodeSubscription(metadata).ownedPartitions.flatMap((o) => o.partitions);
        const generationId = joins.length + 1;
        coordinatorGeneration = generationId;
        joins.push({ generationId, owned: claimed });
        exchange.reply({
          error: 0,
          generationId,
          protocolName: cooperativeStickyAssignor.name,
          leader: memberId,
          memberId,
          members: [{ memberId, groupInstanceId: null, metadata }],
        });
        return;
      }
      case Api.SyncGroup: {
        const sync = body as { generationId: number; assignments: { assignment: Uint8Array }[] };
        if (sync.generationId === refusedGeneration) {
          coordinatorGeneration = 1;
          exchange.reply({
            error: ErrorCode.IllegalGeneration.code,
            assignment: new Uint8Array(0),
          });
          return;
        }
        exchange.reply({ error: 0, assignment: sync.assignments[0]!.assignment });
        return;
      }
      case Api.Heartbeat: {
        heartbeats += 1;
        const { generationId } = body as { generationId: number };
        heartbeatGenerations.push(generationId);
        // The first heartbeat of generation 1 announces the round the coordinator move cuts.
        let error = heartbeats === 1 ? ErrorCode.RebalanceInProgress.code : 0;
        if (generationId !== coordinatorGeneration) error = ErrorCode.IllegalGeneration.code;
        exchange.reply({ error });
        return;
      }
      case Api.LeaveGroup:
        exchange.reply({ error: 0, members: [{ memberId, error: 0 }] });
        return;
      default:
        exchange.replyError(ErrorCode.InvalidRequest.code);
    }
  });
  const emitter = new Emitter<ClientEvents>(silentLogger);
  const cluster = new Cluster({
    clientId: 'test',
    brokers: [`127.0.0.1:${broker.port}`],
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
    inflightRequestsMax: 8,
    metadataMaxAgeMs: 60_000,
    unknownTopicWaitMs: 300,
    // Rejoins wait long enough after the refused sync for heartbeats to run in between.
    retry: { ...defaultRetryPolicy, backoffMsInitial: 300, backoffMsMax: 300 },
    logger: silentLogger,
    emitter,
  });
  t.teardown(() => cluster.close());
  const lost: TopicPartitionRef[] = [];
  const assigned: TopicPartitionRef[] = [];
  const membership = new GroupMembership(
    cluster,
    {
      groupId: 'g',
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      heartbeatIntervalMs: 20,
      assignors: [cooperativeStickyAssignor],
    },
    {
      subscribedTopics: async () => ['t'],
      revoke: async () => {},
      assign: async (partitions) => {
        assigned.push(...partitions);
      },
      lose: async (partitions) => {
        lost.push(...partitions);
      },
      fail: (error) => t.fail(`membership failed: ${error.message}`),
    },
    silentLogger,
    emitter,
  );
  membership.start();
  t.teardown(() => membership.stop());
  await until('the rejoin after the refused sync', () => joins.length >= 3);
  await until(
    'a stable generation 3',
    () => membership.inGeneration && membership.generationId === 3,
  );
  t.deepEqual(joins[0]?.owned, [], 'the first join owns nothing');
  t.deepEqual(joins[1]?.owned, [0, 1], 'generation 1 assigned both partitions');
  t.deepEqual(joins[2]?.owned, [0, 1], 'the rejoin after ILLEGAL_GENERATION still claims them');
  t.deepEqual(lost, [], 'nothing was lost');
  t.false(heartbeatGenerations.includes(refusedGeneration), 'never heartbeats the refused one');
  t.deepEqual(
    assigned.map((tp) => tp.partition),
    [0, 1],
    'assigned once, never handed back and forth',
  );
  t.deepEqual(membership.assignment.map((tp) => tp.partition).sort(), [0, 1]);
});
