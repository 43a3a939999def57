/**
 * The node's request handlers, wired to its parts: data path, metadata and administration,
 * groups, and the internal calls of other brokers.
 */
import {
  Api,
  apiName,
  ErrorCode,
  type ErrorCodeInfo,
  encodeFetchResponseFrame,
  ProtocolError,
  type RequestOf,
} from '@tributary/protocol';
import { verifyInternal } from '../controller/internal-auth.ts';
import { answerDescribeConfigs, answerMetadata, type MetadataView } from '../handlers/metadata.ts';
import { handleFetch, handleListOffsets, handleProduce } from '../handlers/partitions.ts';
import { apiVersionsBody, createRouter, type Handlers, noResponse } from '../handlers/router.ts';
import type { Histogram } from '../metrics/registry.ts';
import { type ConnectionContext, EncodedResponse } from '../server/client-server.ts';
import type { NodeParts } from './node.ts';

function checkInternal(
  parts: NodeParts,
  api: Api,
  request:
    | RequestOf<typeof Api.BrokerHeartbeat>
    | RequestOf<typeof Api.BrokerRegistration>
    | RequestOf<typeof Api.AllocateProducerIds>,
): void {
  const problem = verifyInternal({ secret: parts.secret, api, nowMs: Date.now(), request });
  if (problem) {
    parts.logger.warn('internal request refused', { api, nodeId: request.nodeId, problem });
    throw new ProtocolError(ErrorCode.InvalidRequest, `internal request refused: ${problem}`);
  }
}

function errorResult(info: ErrorCodeInfo, message: string) {
  return { error: info.code, message };
}

function metadataView(parts: NodeParts): MetadataView {
  return {
    get state() {
      return parts.metadata.state;
    },
    clusterId: parts.config.clusterId,
    controllerId: () => parts.metadata.leaderId(),
    localLeadership: (groupId) => {
      const status = parts.host.group(groupId)?.status();
      return status ? { leader: status.leader, term: status.term } : undefined;
    },
  };
}

/**
 * How long a Metadata request waits for this node's copy to reach the client's minimum
 * index. A live follower is milliseconds behind; one cut off from the controller answers
 * stale after this, and the client asks another broker.
 */
const metadataCatchUpWaitMs = 1_000;

function withMetadataIndex<T>(parts: NodeParts, topics: T) {
  return { topics, metadataIndex: parts.metadata.state.appliedIndex };
}

function dataPath(parts: NodeParts) {
  return {
    state: () => parts.metadata.state,
    replicas: parts.replicas,
    logger: parts.logger,
    messageBytesMax: parts.config.messageBytesMax,
  };
}

function adminHandlers(parts: NodeParts): Handlers {
  const { controller } = parts;
  return {
    // Each answer carries the index its changes were applied at (at most the controller's
    // applied index), so the client can ask any broker for metadata at least that fresh.
    [Api.CreateTopics]: async (body) =>
      withMetadataIndex(parts, await controller.createTopics(body)),
    [Api.DeleteTopics]: async (body) =>
      withMetadataIndex(parts, await controller.deleteTopics(body)),
    [Api.AlterConfigs]: async (body) =>
      withMetadataIndex(parts, await controller.alterConfigs(body)),
    [Api.DescribeConfigs]: (body) => answerDescribeConfigs(parts.metadata.state, body),
    [Api.DescribeCluster]: () => {
      controller.requireLeader();
      const state = parts.metadata.state;
      const voters = new Set(parts.host.group(0)?.status().config.voters ?? []);
      let offline = 0;
      let underReplicated = 0;
      for (const p of state.partitionsByGroup.values()) {
        const live = p.replicas.filter((id) => controller.isAlive(id)).length;
        if (live * 2 <= p.replicas.length) offline++;
        else if (live < p.replicas.length) underReplicated++;
      }
      return {
        clusterId: parts.config.clusterId,
        controllerId: parts.config.nodeId,
        brokers: [...state.brokers.values()].map((b) => ({
          nodeId: b.nodeId,
          host: b.host,
          port: b.port,
          alive: controller.isAlive(b.nodeId),
          lastHeartbeatAgeMs: controller.heartbeatAgeMs(b.nodeId),
          controllerVoter: voters.has(b.nodeId),
        })),
        partitions: { total: state.partitionsByGroup.size, offline, underReplicated },
      };
    },
    [Api.ElectLeaders]: async (body) => ({ results: await controller.electPreferredLeaders(body) }),
    [Api.AlterPartitionReassignments]: async (body) => {
      const results = [];
      for (const topic of body.topics) {
        for (const { partition, replicas } of topic.partitions) {
          const applied = await controller.reassignPartition(topic.name, partition, replicas);
          results.push(
            applied.ok
              ? { name: topic.name, partition, error: 0 }
              : {
                  name: topic.name,
                  partition,
                  error: applied.error.code,
                  message: applied.message,
                },
          );
        }
      }
      return { results };
    },
    [Api.UnregisterBroker]: async (body) => {
      const result = await controller.unregisterBroker(body.nodeId);
      return result.ok ? { error: 0 } : errorResult(result.error, result.message);
    },
  };
}

function groupHandlers(parts: NodeParts): Handlers {
  const coordinators = parts.coordinators;
  const client = (context: ConnectionContext) => ({
    clientId: context.clientId ?? '',
    clientHost: context.remoteAddress,
  });
  return {
    [Api.FindCoordinator]: (body) => coordinators.find(body.groupId),
    [Api.JoinGroup]: (body, context) =>
      coordinators.forGroup(body.groupId).joinGroup(body, client(context)),
    [Api.SyncGroup]: (body) => coordinators.forGroup(body.groupId).syncGroup(body),
    [Api.Heartbeat]: (body) => coordinators.forGroup(body.groupId).heartbeat(body),
    [Api.LeaveGroup]: (body) => coordinators.forGroup(body.groupId).leaveGroup(body),
    [Api.OffsetCommit]: (body) => coordinators.forGroup(body.groupId).offsetCommit(body),
    [Api.OffsetFetch]: (body) => coordinators.forGroup(body.groupId).offsetFetch(body),
    [Api.ListGroups]: async () => {
      const lists = await Promise.all(coordinators.all().map((c) => c.listGroups()));
      return { groups: lists.flatMap((l) => l.groups) };
    },
    [Api.DescribeGroups]: async (body) => {
      const groups = await Promise.all(
        body.groupIds.map(async (groupId) => {
          try {
            const [described] = (
              await coordinators.forGroup(groupId).describeGroups({ groupIds: [groupId] })
            ).groups;
            return described;
          } catch (error) {
            const code =
              error instanceof ProtocolError ? error.code : ErrorCode.UnknownServerError.code;
            return {
              groupId,
              error: code,
              state: '',
              protocolType: '',
              protocol: '',
              generationId: -1,
              members: [],
            };
          }
        }),
      );
      return { groups };
    },
    [Api.DeleteGroups]: async (body) => {
      const results = await Promise.all(
        body.groupIds.map(async (groupId) => {
          try {
            const [result] = (
              await coordinators.forGroup(groupId).deleteGroups({ groupIds: [groupId] })
            ).results;
            return result;
          } catch (error) {
            const code =
              error instanceof ProtocolError ? error.code : ErrorCode.UnknownServerError.code;
            return { groupId, error: code };
          }
        }),
      );
      return { results };
    },
  };
}

function internalHandlers(parts: NodeParts): Handlers {
  const { controller } = parts;
  return {
    [Api.BrokerRegistration]: async (body) => {
      checkInternal(parts, Api.BrokerRegistration, body);
      const { nodeId, host, port, peerUrl, incarnation } = body;
      const result = await controller.registerBroker({
        type: 'register-broker',
        nodeId,
        host,
        port,
        peerUrl,
        incarnation,
      });
      return result.ok ? { error: 0 } : errorResult(result.error, result.message);
    },
    [Api.BrokerHeartbeat]: async (body) => {
      checkInternal(parts, Api.BrokerHeartbeat, body);
      controller.requireLeader();
      controller.noteHeartbeat(body.nodeId, body.incarnation);
      await controller.reportLeaderships(body.nodeId, body.leaderships);
      await controller.reportReassignmentsDone(body.reassignmentsDone);
      return { error: 0 };
    },
    [Api.AllocateProducerIds]: async (body) => {
      checkInternal(parts, Api.AllocateProducerIds, body);
      const firstId = await controller.allocateProducerIds(body.nodeId, body.count);
      return { error: 0, firstId, count: body.count };
    },
  };
}

export function createNodeRouter(parts: NodeParts) {
  const latency: Histogram = parts.registry.histogram(
    'tributary_request_seconds',
    'Request handling time by API.',
  );
  const errors = parts.registry.counter(
    'tributary_request_errors_total',
    'Requests answered with a top-level error, by API and code.',
  );
  const handlers: Handlers = {
    [Api.ApiVersions]: (body, context) => {
      context.clientId = body.clientId;
      return apiVersionsBody(parts.config.nodeId, parts.config.clusterId);
    },
    [Api.Metadata]: async (body) => {
      const wanted = body.minMetadataIndex ?? 0;
      if (wanted > parts.metadata.state.appliedIndex)
        await parts.metadata.whenApplied(wanted, metadataCatchUpWaitMs);
      return answerMetadata(metadataView(parts), body);
    },
    [Api.Produce]: (body) => {
      const answer = handleProduce(dataPath(parts), body);
      if (body.acks !== 0) return answer;
      void answer.catch((error) =>
        parts.logger.warn('acks=0 produce failed', { error: String(error) }),
      );
      return noResponse;
    },
    [Api.Fetch]: async (body, context) => {
      const { response, release } = await handleFetch(dataPath(parts), body, context.closed);
      return new EncodedResponse((id) => encodeFetchResponseFrame(id, response), release);
    },
    [Api.ListOffsets]: (body) => handleListOffsets(dataPath(parts), body),
    [Api.InitProducerId]: async (body) => {
      if (body.producerId >= 0) {
        return {
          error: 0,
          producerId: body.producerId,
          producerEpoch: Math.min(body.producerEpoch + 1, 32767),
        };
      }
      return { error: 0, producerId: await parts.producerIds.nextId(), producerEpoch: 0 };
    },
    ...adminHandlers(parts),
    ...groupHandlers(parts),
    ...internalHandlers(parts),
  };
  const route = createRouter(handlers);
  return {
    handle: route,
    observe: (api: Api | undefined, errorCode: number, seconds: number) => {
      const name = api === undefined ? 'undecodable' : apiName(api);
      latency.observe({ api: name }, seconds);
      if (errorCode !== 0) errors.inc({ api: name, code: errorCode });
    },
  };
}
