import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { Api, decodeRequest, ErrorCode, encodeResponse } from '@tributary/protocol';
import test from 'ava';
import { WebSocketServer } from 'ws';
import { abortable } from '../src/abort.ts';
import {
  AbortError,
  ClientClosedError,
  ConnectionError,
  MalformedResponseError,
  RequestTimeoutError,
  TributaryProtocolError,
} from '../src/errors.ts';
import { silentLogger } from '../src/logger.ts';
import { Connection, type ConnectionOptions } from '../src/net/connection.ts';
import { allApis, type Exchange, startScriptedBroker } from './helpers/scripted-broker.ts';

const metadataBody = { clusterId: 'test', controllerId: 1, brokers: [], topics: [] };

function options(port: number, overrides: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    host: '127.0.0.1',
    port,
    clientId: 'test',
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
    inflightRequestsMax: 8,
    logger: silentLogger,
    ...overrides,
  };
}

async function setup(
  t: import('ava').ExecutionContext,
  overrides: Partial<ConnectionOptions> = {},
) {
  const broker = await startScriptedBroker({ nodeId: 7 });
  t.teardown(() => broker.close());
  const connection = await Connection.open(options(broker.port, overrides));
  t.teardown(() => connection.close());
  return { broker, connection };
}

/** Waits (with a generous deadline) until `condition` holds. */
async function until(condition: () => boolean, what: string, deadlineMs = 5_000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('handshake learns the node id and a request round-trips', async (t) => {
  const { broker, connection } = await setup(t);
  broker.handle((exchange) => exchange.reply(metadataBody));
  t.is(connection.nodeId, 7);
  t.is(connection.versionOf(Api.Fetch), 1);
  const response = await connection.request(Api.Metadata, { topics: null });
  t.deepEqual(response, metadataBody);
  t.is(broker.received[0]?.api, Api.Metadata);
});

test('pipelined requests are paired by correlation id when answered out of order', async (t) => {
  const { broker, connection } = await setup(t, { inflightRequestsMax: 16 });
  const held: Exchange[] = [];
  broker.handle((exchange) => held.push(exchange));
  const names = Array.from({ length: 10 }, (_, i) => `topic-${i}`);
  const responses = names.map((name) => connection.request(Api.Metadata, { topics: [name] }));
  await until(() => held.length === names.length, 'all requests to arrive');
  for (const exchange of held.reverse()) {
    const asked = (exchange.frame.body as { topics: string[] }).topics[0];
    exchange.reply({ ...metadataBody, clusterId: asked });
  }
  const results = await Promise.all(responses);
  t.deepEqual(
    results.map((r) => r.clusterId),
    names,
  );
});

test('a request without an answer times out and the connection stays usable', async (t) => {
  const { broker, connection } = await setup(t);
  let answer = false;
  broker.handle((exchange) => {
    if (answer) exchange.reply(metadataBody);
  });
  const error = await t.throwsAsync(
    connection.request(Api.Metadata, { topics: null }, { timeoutMs: 50 }),
  );
  t.true(error instanceof RequestTimeoutError);
  t.true((error as RequestTimeoutError).retriable);
  t.is(connection.inflightCount, 0);
  answer = true;
  t.deepEqual(await connection.request(Api.Metadata, { topics: null }), metadataBody);
});

test('an aborted request rejects with the signal reason and frees its slot', async (t) => {
  const { broker, connection } = await setup(t, { inflightRequestsMax: 1 });
  broker.handle(() => {});
  const controller = new AbortController();
  const pending = connection.request(Api.Metadata, { topics: null }, { signal: controller.signal });
  await until(() => broker.received.length === 1, 'the request to arrive');
  const reason = new Error('caller gave up');
  controller.abort(reason);
  t.is(await t.throwsAsync(pending), reason);
  t.is(connection.inflightCount, 0);
  broker.handle((exchange) => exchange.reply(metadataBody));
  t.deepEqual(await connection.request(Api.Metadata, { topics: null }), metadataBody);
});

/** Collects unhandled rejections during a test; `settled()` lets Node report them first. */
function watchUnhandled(t: import('ava').ExecutionContext) {
  const reasons: unknown[] = [];
  const onUnhandled = (reason: unknown) => reasons.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  const settled = async () => {
    for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  return { reasons, settled };
}

// Serial, so that no other test's rejections pass through the process-wide watch.
test.serial(
  'a request whose signal aborted before it was sent is not sent and leaves no unhandled rejection',
  async (t) => {
    // Regression: the pending response was settled with the abort reason after abortable()
    // had already given up on it, so nobody handled it (a consumer stopped during its first
    // offset lookup printed an unhandled "positions aborted").
    const { broker, connection } = await setup(t);
    broker.handle((exchange) => exchange.reply(metadataBody));
    const unhandled = watchUnhandled(t);
    const controller = new AbortController();
    const reason = new AbortError('positions aborted');
    controller.abort(reason);
    const request = connection.request(
      Api.Metadata,
      { topics: null },
      { signal: controller.signal },
    );
    t.is(await t.throwsAsync(request), reason);
    await unhandled.settled();
    t.false(unhandled.reasons.includes(reason), 'the abort reason went unhandled');
    t.is(connection.inflightCount, 0);
    t.deepEqual(await connection.request(Api.Metadata, { topics: null }), metadataBody);
    t.is(broker.received.length, 1, 'only the second request reached the broker');
  },
);

test.serial(
  'abortable hands back the abort reason and handles a later failure of what it waited on',
  async (t) => {
    const unhandled = watchUnhandled(t);
    const controller = new AbortController();
    controller.abort(new AbortError('stopped'));
    let fail: (error: Error) => void = () => {};
    const work = new Promise<void>((_, reject) => {
      fail = reject;
    });
    await t.throwsAsync(abortable(work, controller.signal), { message: 'stopped' });
    const late = new Error('failed after the caller left');
    fail(late);
    await unhandled.settled();
    t.false(unhandled.reasons.includes(late), 'the late failure went unhandled');
  },
);

test('in-flight requests are bounded; the next waits for a slot', async (t) => {
  const { broker, connection } = await setup(t, { inflightRequestsMax: 2 });
  const held: Exchange[] = [];
  broker.handle((exchange) => held.push(exchange));
  const all = [0, 1, 2].map(() => connection.request(Api.Metadata, { topics: null }));
  await until(() => held.length === 2, 'two requests to arrive');
  // Give the third a chance to (wrongly) be sent: wait for a round trip of a fresh connection.
  const probe = await Connection.open(options(broker.port));
  await probe.close();
  t.is(held.length, 2);
  held[0]?.reply(metadataBody);
  await until(() => held.length === 3, 'the third request to be sent');
  held[1]?.reply(metadataBody);
  held[2]?.reply(metadataBody);
  t.is((await Promise.all(all)).length, 3);
});

test('waiting for a slot counts against the timeout', async (t) => {
  const { broker, connection } = await setup(t, { inflightRequestsMax: 1 });
  broker.handle(() => {});
  const first = connection.request(Api.Metadata, { topics: null }, { timeoutMs: 5_000 });
  first.catch(() => {});
  await until(() => broker.received.length === 1, 'the first request to arrive');
  const second = connection.request(Api.Metadata, { topics: null }, { timeoutMs: 30 });
  const error = await t.throwsAsync(second);
  t.true(error instanceof RequestTimeoutError);
  t.is(broker.received.length, 1, 'the second request was never sent');
  await connection.close();
  t.true((await t.throwsAsync(first)) instanceof ClientClosedError);
});

test('close rejects every pending request with ClientClosedError and later ones too', async (t) => {
  const { broker, connection } = await setup(t, { inflightRequestsMax: 1 });
  broker.handle(() => {});
  const inFlight = connection.request(Api.Metadata, { topics: null });
  const waiting = connection.request(Api.Metadata, { topics: null });
  await until(() => broker.received.length === 1, 'the request to arrive');
  await connection.close();
  t.true((await t.throwsAsync(inFlight)) instanceof ClientClosedError);
  t.true((await t.throwsAsync(waiting)) instanceof ClientClosedError);
  t.true(
    (await t.throwsAsync(connection.request(Api.Metadata, { topics: null }))) instanceof
      ClientClosedError,
  );
  t.false(connection.isOpen);
});

test('the broker closing the socket rejects pending requests with a retriable ConnectionError', async (t) => {
  const { broker, connection } = await setup(t);
  broker.handle((exchange) => exchange.socket.terminate());
  const error = await t.throwsAsync(connection.request(Api.Metadata, { topics: null }));
  t.true(error instanceof ConnectionError);
  t.true((error as ConnectionError).retriable);
  t.false(connection.isOpen);
});

test('an undecodable frame closes the connection and fails everything pending', async (t) => {
  const { broker, connection } = await setup(t);
  const held: Exchange[] = [];
  broker.handle((exchange) => held.push(exchange));
  const first = connection.request(Api.Metadata, { topics: null });
  const second = connection.request(Api.Metadata, { topics: null });
  await until(() => held.length === 2, 'both requests to arrive');
  held[0]?.replyRaw(new Uint8Array([0xc1, 0xff, 0x00]));
  t.true((await t.throwsAsync(first)) instanceof MalformedResponseError);
  t.true((await t.throwsAsync(second)) instanceof MalformedResponseError);
  t.false(connection.isOpen);
});

test('a response body that breaks its schema fails only that request', async (t) => {
  const { broker, connection } = await setup(t);
  let bad = true;
  broker.handle((exchange) => {
    exchange.reply(bad ? { clusterId: 42 } : metadataBody);
    bad = false;
  });
  const error = await t.throwsAsync(connection.request(Api.Metadata, { topics: null }));
  t.true(error instanceof MalformedResponseError);
  t.true(connection.isOpen);
  t.deepEqual(await connection.request(Api.Metadata, { topics: null }), metadataBody);
});

test('a response to an unknown correlation id is ignored', async (t) => {
  const { broker, connection } = await setup(t);
  broker.handle((exchange) => {
    exchange.replyRaw(
      encodeResponse({ correlationId: 999_999, errorCode: 0, message: null, body: metadataBody }),
    );
    exchange.reply(metadataBody);
  });
  t.deepEqual(await connection.request(Api.Metadata, { topics: null }), metadataBody);
  t.true(connection.isOpen);
});

test('a top-level error code becomes a TributaryProtocolError with its name', async (t) => {
  const { broker, connection } = await setup(t);
  broker.handle((exchange) => exchange.replyError(ErrorCode.InvalidRequest.code, 'bad shape'));
  const error = await t.throwsAsync(connection.request(Api.Metadata, { topics: null }));
  t.true(error instanceof TributaryProtocolError);
  t.is((error as TributaryProtocolError).code, 'INVALID_REQUEST');
  t.is((error as TributaryProtocolError).errorCode, 42);
  t.is((error as TributaryProtocolError).nodeId, 7);
  t.false((error as TributaryProtocolError).retriable);
});

test('an API the broker lacks fails with UNSUPPORTED_VERSION without being sent', async (t) => {
  const broker = await startScriptedBroker({
    apis: allApis().filter((entry) => entry.api !== Api.Fetch),
  });
  t.teardown(() => broker.close());
  const connection = await Connection.open(options(broker.port));
  t.teardown(() => connection.close());
  const error = await t.throwsAsync(
    connection.request(Api.Fetch, { maxWaitMs: 0, minBytes: 0, maxBytes: 1, topics: [] }),
  );
  t.is((error as TributaryProtocolError).code, 'UNSUPPORTED_VERSION');
  t.is(broker.received.length, 0);
});

test('connecting to a closed port fails with a ConnectionError', async (t) => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const error = await t.throwsAsync(Connection.open(options(port)));
  t.true(error instanceof ConnectionError);
});

test('a server that accepts TCP but never speaks WebSocket hits the connect timeout', async (t) => {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  const error = await t.throwsAsync(Connection.open(options(port, { connectTimeoutMs: 100 })));
  t.true(error instanceof ConnectionError);
});

test('connect honours an AbortSignal', async (t) => {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  const controller = new AbortController();
  const opening = Connection.open(options(port), controller.signal);
  controller.abort(new Error('stop'));
  const error = await t.throwsAsync(opening);
  t.is(error?.message, 'stop');
});

test('an IPv6 broker address ([::1]:port) connects', async (t) => {
  // Before: the URL was ws://::1:port/, which is no URL: a SyntaxError, never a connection.
  const server = new WebSocketServer({ host: '::1', port: 0 });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('listening', () => resolve(true));
    server.once('error', () => resolve(false));
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  if (!listening) {
    t.log('no IPv6 loopback here: skipped');
    t.pass();
    return;
  }
  server.on('connection', (socket) =>
    socket.on('message', (data) => {
      const decoded = decodeRequest(data as Buffer);
      if (!decoded.ok) return;
      const body = { nodeId: 6, clusterId: 'v6', apis: allApis() };
      const correlationId = decoded.frame.correlationId;
      socket.send(encodeResponse({ correlationId, errorCode: 0, message: null, body }));
    }),
  );
  const port = (server.address() as AddressInfo).port;
  const connection = await Connection.open(options(port, { host: '::1' }));
  t.teardown(() => connection.close());
  t.is(connection.nodeId, 6);
  t.is(connection.address, `[::1]:${port}`);
});

test('a host that makes no URL fails with a retriable ConnectionError', async (t) => {
  // A broker's metadata may name any host; before, this was a SyntaxError.
  const error = await t.throwsAsync(Connection.open(options(9092, { host: 'no such host' })));
  t.true(error instanceof ConnectionError);
  t.true((error as ConnectionError).retriable);
});

// Found auditing the client: waiting for an in-flight slot made AbortSignal.timeout(timeoutMs),
// which throws a RangeError for a fractional delay, so a caller's (or a computed remaining)
// timeout such as 40.5 ms failed the request with an untyped error instead of waiting.
test('a fractional timeout while waiting for an in-flight slot is a RequestTimeoutError', async (t) => {
  const { broker, connection } = await setup(t, { inflightRequestsMax: 1 });
  broker.handle(() => {}); // never answers: the one slot stays taken
  const first = connection.request(Api.Metadata, { topics: null }, { timeoutMs: 2_000 });
  first.catch(() => {});
  await until(() => broker.received.length >= 1, 'the first request to arrive');
  const error = await t.throwsAsync(
    connection.request(Api.Metadata, { topics: null }, { timeoutMs: 40.5 }),
  );
  t.true(error instanceof RequestTimeoutError, `${error?.name}: ${error?.message}`);
  t.regex(error!.message, /in-flight slot/);
});
