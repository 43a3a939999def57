/**
 * A WebSocket server for connection-layer tests: it speaks the real frame codec and lets
 * each test script how requests are answered (late, out of order, malformed, never). It is
 * a double for transport behaviour only; end-to-end behaviour is tested against the broker.
 */
import type { AddressInfo } from 'node:net';
import {
  Api,
  apiDefinitions,
  decodeRequest,
  encodeResponse,
  type RequestFrame,
} from '@tributary/protocol';
import type { ExecutionContext } from 'ava';
import { type WebSocket, WebSocketServer } from 'ws';
import { Client } from '../../src/index.ts';

export interface Exchange {
  readonly frame: RequestFrame;
  readonly socket: WebSocket;
  reply(body: unknown): void;
  replyError(errorCode: number, message?: string): void;
  replyRaw(bytes: Uint8Array): void;
}

export type Handler = (exchange: Exchange) => void;

export interface ScriptedBroker {
  readonly port: number;
  readonly received: RequestFrame[];
  readonly sockets: Set<WebSocket>;
  /** Replaces the handler for requests other than ApiVersions. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export interface ScriptedBrokerOptions {
  readonly nodeId?: number;
  /** APIs the broker claims in ApiVersions; default: every API at version 1. */
  readonly apis?: readonly { api: number; min: number; max: number }[];
}

/**
 * Answers Metadata (`broker` leads topic `t`, one partition) and ListOffsets (offset 0) for
 * a consumer of an empty `t`; returns false for any other API, left to the caller.
 */
export function answerEmptyTopicLookups(broker: { port: number }, exchange: Exchange): boolean {
  const { api } = exchange.frame;
  if (api === Api.Metadata) exchange.reply(singleBrokerMetadata(broker, { t: 1 }));
  else if (api === Api.ListOffsets) {
    exchange.reply({
      topics: [{ name: 't', partitions: [{ partition: 0, error: 0, offset: 0, timestamp: -1 }] }],
    });
  } else return false;
  return true;
}

/**
 * Answers an OffsetCommit with `error` for every partition it names; returns what it asked
 * to commit.
 */
export function answerOffsetCommit(
  exchange: Exchange,
  error: number,
): { topic: string; partition: number; offset: number }[] {
  const body = exchange.frame.body as {
    topics: { name: string; partitions: { partition: number; offset: number }[] }[];
  };
  exchange.reply({
    topics: body.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({ partition: p.partition, error })),
    })),
  });
  return body.topics.flatMap((topic) =>
    topic.partitions.map((p) => ({ topic: topic.name, partition: p.partition, offset: p.offset })),
  );
}

/** A FindCoordinator answer naming `broker` (node 1) the coordinator. */
export function singleBrokerCoordinator(broker: { port: number }) {
  return { error: 0, nodeId: 1, host: '127.0.0.1', port: broker.port };
}

/** A Fetch answer with no records for partition 0 of `topic`, whose log is empty. */
export function emptyFetchAnswer(topic: string) {
  const partition = {
    partition: 0,
    error: 0,
    highWatermark: 0,
    logStartOffset: 0,
    records: new Uint8Array(0),
  };
  return { topics: [{ name: topic, partitions: [partition] }] };
}

/**
 * A Metadata answer naming `broker` (node 1) the only broker, controller and leader of every
 * partition of `topics` (name → partition count).
 */
export function singleBrokerMetadata(broker: { port: number }, topics: Record<string, number>) {
  return {
    clusterId: 'c',
    controllerId: 1,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port }],
    topics: Object.entries(topics).map(([name, count]) => ({
      name,
      error: 0,
      partitions: Array.from({ length: count }, (_, partition) => ({
        partition,
        error: 0,
        leader: 1,
        leaderEpoch: 1,
        replicas: [1],
        learners: [],
      })),
    })),
  };
}

export function allApis(): { api: number; min: number; max: number }[] {
  return Object.keys(apiDefinitions).map((api) => ({ api: Number(api), min: 1, max: 1 }));
}

export async function startScriptedBroker(
  options: ScriptedBrokerOptions = {},
): Promise<ScriptedBroker> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const received: RequestFrame[] = [];
  const sockets = new Set<WebSocket>();
  let handler: Handler = () => {};
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data) => {
      const decoded = decodeRequest(data as Buffer);
      if (!decoded.ok) throw new Error(`scripted broker got a bad request: ${decoded.error}`);
      const exchange = makeExchange(decoded.frame, socket);
      if (decoded.frame.api === Api.ApiVersions) {
        exchange.reply({
          nodeId: options.nodeId ?? 1,
          clusterId: 'test',
          apis: options.apis ?? allApis(),
        });
        return;
      }
      received.push(decoded.frame);
      handler(exchange);
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    received,
    sockets,
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  };
}

function makeExchange(frame: RequestFrame, socket: WebSocket): Exchange {
  const send = (bytes: Uint8Array) => {
    if (socket.readyState === socket.OPEN) socket.send(bytes);
  };
  return {
    frame,
    socket,
    reply: (body) =>
      send(
        encodeResponse({ correlationId: frame.correlationId, errorCode: 0, message: null, body }),
      ),
    replyError: (errorCode, message) =>
      send(
        encodeResponse({
          correlationId: frame.correlationId,
          errorCode,
          message: message ?? null,
          body: null,
        }),
      ),
    replyRaw: send,
  };
}

/**
 * A consumer on the scripted broker with partition 0 of `t` assigned, and an iterator over
 * its records (not started: the first `next()` starts it). Disconnected after the test.
 */
export async function iteratingConsumer(
  t: ExecutionContext,
  broker: { port: number },
  clientId: string,
) {
  const client = new Client({ clientId, brokers: [`127.0.0.1:${broker.port}`] });
  const consumer = client.consumer({});
  t.teardown(() => consumer.disconnect());
  await consumer.connect();
  consumer.assign([{ topic: 't', partitions: [0] }]);
  return { consumer, iterator: consumer.messages()[Symbol.asyncIterator]() };
}
