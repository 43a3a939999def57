/**
 * Scripted brokers answering Metadata, InitProducerId and Produce over real WebSocket
 * connections, with one model partition log per topic-partition shared by all of them. For
 * the producer's transport behaviour (routing, leader hints, lost responses, dropped
 * connections, acks 0, refusals); the real broker is exercised by the end-to-end tests.
 */
import { Api, ErrorCode, type ProduceRequest } from '@tributary/protocol';
import type { ExecutionContext } from 'ava';
import { ModelPartition } from './model-partition.ts';
import { type Exchange, type ScriptedBroker, startScriptedBroker } from './scripted-broker.ts';

export type ProduceFault =
  /** Append, then drop the connection instead of answering (a lost response). */
  | 'drop-after-append'
  /** Answer NOT_LEADER with a hint, without appending. */
  | { notLeader: number }
  | undefined;

export interface ScriptedCluster {
  readonly brokers: ScriptedBroker[];
  readonly bootstrap: string[];
  partition(topic: string, index: number): ModelPartition;
  /** topic → partition → leader node id (1-based broker index). */
  readonly leaders: Map<string, number[]>;
  /** Called for each partition of each Produce request; may inject a fault. */
  fault: (nodeId: number, topic: string, partition: number) => ProduceFault;
  readonly produceRequests: { nodeId: number; body: ProduceRequest }[];
  nextProducerId: number;
}

export async function startScriptedCluster(
  t: ExecutionContext,
  topics: Record<string, number>,
  brokerCount = 2,
): Promise<ScriptedCluster> {
  const brokers: ScriptedBroker[] = [];
  for (let i = 1; i <= brokerCount; i += 1) {
    const broker = await startScriptedBroker({ nodeId: i });
    t.teardown(() => broker.close());
    brokers.push(broker);
  }
  const partitions = new Map<string, ModelPartition>();
  const leaders = new Map<string, number[]>();
  for (const [topic, count] of Object.entries(topics)) {
    leaders.set(
      topic,
      Array.from({ length: count }, (_, p) => (p % brokerCount) + 1),
    );
  }
  const cluster: ScriptedCluster = {
    brokers,
    bootstrap: brokers.map((b) => `127.0.0.1:${b.port}`),
    leaders,
    partition(topic, index) {
      const key = `${topic}/${index}`;
      let model = partitions.get(key);
      if (model === undefined) {
        model = new ModelPartition();
        partitions.set(key, model);
      }
      return model;
    },
    fault: () => undefined,
    produceRequests: [],
    nextProducerId: 1000,
  };
  for (const [index, broker] of brokers.entries()) {
    broker.handle((exchange) => answer(cluster, index + 1, exchange));
  }
  return cluster;
}

function answer(cluster: ScriptedCluster, nodeId: number, exchange: Exchange): void {
  switch (exchange.frame.api) {
    case Api.Metadata:
      exchange.reply(metadata(cluster, exchange.frame.body as { topics: string[] | null }));
      return;
    case Api.InitProducerId: {
      const ask = exchange.frame.body as { producerId: number; producerEpoch: number };
      const producerId = ask.producerId >= 0 ? ask.producerId : cluster.nextProducerId++;
      const producerEpoch = ask.producerId >= 0 ? ask.producerEpoch + 1 : 0;
      exchange.reply({ error: 0, producerId, producerEpoch });
      return;
    }
    case Api.Produce:
      produce(cluster, nodeId, exchange);
      return;
    default:
      exchange.replyError(ErrorCode.InvalidRequest.code, 'not scripted');
  }
}

function metadata(cluster: ScriptedCluster, body: { topics: string[] | null }) {
  const names = body.topics ?? [...cluster.leaders.keys()];
  return {
    clusterId: 'scripted',
    controllerId: 1,
    brokers: cluster.brokers.map((b, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: b.port })),
    topics: names.map((name) => {
      const leaders = cluster.leaders.get(name);
      if (leaders === undefined) {
        return { name, error: ErrorCode.UnknownTopicOrPartition.code, partitions: [] };
      }
      return {
        name,
        error: 0,
        partitions: leaders.map((leader, partition) => ({
          partition,
          error: 0,
          leader,
          leaderEpoch: 1,
          replicas: [leader],
          learners: [],
        })),
      };
    }),
  };
}

function produce(cluster: ScriptedCluster, nodeId: number, exchange: Exchange): void {
  const body = exchange.frame.body as ProduceRequest;
  cluster.produceRequests.push({ nodeId, body });
  let drop = false;
  const topics = body.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map(({ partition, records }) => {
      const fault = cluster.fault(nodeId, topic.name, partition);
      if (typeof fault === 'object') {
        return {
          partition,
          error: ErrorCode.NotLeader.code,
          baseOffset: -1,
          logStartOffset: -1,
          leaderHint: fault.notLeader,
        };
      }
      if (cluster.leaders.get(topic.name)?.[partition] !== nodeId) {
        return { partition, error: ErrorCode.NotLeader.code, baseOffset: -1, logStartOffset: -1 };
      }
      if (fault === 'drop-after-append') drop = true;
      const result = cluster.partition(topic.name, partition).appendAll(records);
      return { partition, error: result.error, baseOffset: result.baseOffset, logStartOffset: 0 };
    }),
  }));
  if (drop) {
    exchange.socket.terminate();
    return;
  }
  if (body.acks !== 0) exchange.reply({ topics });
}
