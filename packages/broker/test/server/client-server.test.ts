import { connect as connectTcp } from 'node:net';
import {
  Api,
  decodeResponseHead,
  ErrorCode,
  encodeRequest,
  encodeResponse,
  limits,
  ProtocolError,
} from '@tributary/protocol';
import test from 'ava';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { silentLogger } from '../../src/logger.ts';
import {
  ClientServer,
  type ClientServerOptions,
  EncodedResponse,
  noResponse,
} from '../../src/server/client-server.ts';

type Teardown = { teardown(fn: () => unknown): void };

/** A server on a free port of 127.0.0.1, closed when the test ends. */
async function serve(t: Teardown, options: Omit<ClientServerOptions, 'host' | 'port' | 'logger'>) {
  const server = new ClientServer({ host: '127.0.0.1', port: 0, logger: silentLogger, ...options });
  const port = await server.start();
  t.teardown(() => server.close());
  return { server, port };
}

/** An open raw WebSocket to the server, terminated when the test ends. */
async function openSocket(port: number, t: Teardown) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  t.teardown(() => socket.terminate());
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

async function startServer(t: Teardown) {
  const { port } = await serve(t, {
    handle: async (frame) => {
      if (frame.api === Api.Metadata) {
        const topics = (frame.body as { topics: string[] | null }).topics;
        if (topics?.[0] === 'slow') await new Promise((r) => setTimeout(r, 50));
        if (topics?.[0] === 'boom') throw new Error('handler bug');
        if (topics?.[0] === 'typed') throw new ProtocolError(ErrorCode.NotController);
        return { clusterId: 'c', controllerId: 1, brokers: [], topics: [] };
      }
      if (frame.api === Api.Produce) return noResponse;
      throw new ProtocolError(ErrorCode.UnsupportedVersion);
    },
  });
  return port;
}

async function connect(port: number, t: Teardown) {
  const socket = await openSocket(port, t);
  const responses: ReturnType<typeof decodeResponseHead>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    responses.push(decodeResponseHead(data as Buffer));
    waiters.shift()?.();
  });
  const next = () =>
    new Promise<ReturnType<typeof decodeResponseHead>>((resolve) => {
      if (responses.length > 0) resolve(responses.shift()!);
      else waiters.push(() => resolve(responses.shift()!));
    });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return { socket, next, closed };
}

const metadata = (id: number, topic?: string) =>
  encodeRequest({
    correlationId: id,
    api: Api.Metadata,
    version: 1,
    body: { topics: topic ? [topic] : null },
  });

test('pipelined requests are answered as they complete, paired by correlation id', async (t) => {
  const port = await startServer(t);
  const { socket, next } = await connect(port, t);
  socket.send(metadata(1, 'slow'));
  socket.send(metadata(2));
  const first = await next();
  const second = await next();
  t.is(first.correlationId, 2);
  t.is(second.correlationId, 1);
  t.is(second.errorCode, 0);
});

test('handler failures become typed error responses; the server keeps serving', async (t) => {
  const port = await startServer(t);
  const { socket, next } = await connect(port, t);
  socket.send(metadata(1, 'boom'));
  const boom = await next();
  t.is(boom.errorCode, ErrorCode.UnknownServerError.code);
  socket.send(metadata(2, 'typed'));
  t.is((await next()).errorCode, ErrorCode.NotController.code);
  socket.send(metadata(3));
  t.is((await next()).errorCode, 0);
});

test('acks 0 produce gets no response, and later requests still do', async (t) => {
  const port = await startServer(t);
  const { socket, next } = await connect(port, t);
  socket.send(
    encodeRequest({
      correlationId: 1,
      api: Api.Produce,
      version: 1,
      body: { acks: 0, timeoutMs: 10, topics: [] },
    }),
  );
  socket.send(metadata(2));
  t.is((await next()).correlationId, 2);
});

test('bad input: invalid body, unknown api, wrong version get typed errors', async (t) => {
  const port = await startServer(t);
  const { socket, next } = await connect(port, t);
  const raw = new Packr({ useRecords: false });
  socket.send(raw.pack([0, 1, Api.Metadata, 1, { topics: ['bad/name'] }]));
  t.is((await next()).errorCode, ErrorCode.InvalidRequest.code);
  socket.send(raw.pack([0, 2, 77, 1, {}]));
  t.is((await next()).errorCode, ErrorCode.UnsupportedVersion.code);
  socket.send(raw.pack([0, 3, Api.Metadata, 9, { topics: null }]));
  t.is((await next()).errorCode, ErrorCode.UnsupportedVersion.code);
});

test('bad input: garbage and text frames close the connection, not the server', async (t) => {
  const port = await startServer(t);
  const garbage = await connect(port, t);
  garbage.socket.send(Buffer.from([0xc1, 0xff, 0x00]));
  t.is(await garbage.closed, 1002);
  const text = await connect(port, t);
  text.socket.send('hello');
  t.is(await text.closed, 1003);
  const healthy = await connect(port, t);
  healthy.socket.send(metadata(9));
  t.is((await healthy.next()).correlationId, 9);
});

test('bad input: an oversize frame closes that connection only', async (t) => {
  const port = await startServer(t);
  const big = await connect(port, t);
  big.socket.send(Buffer.alloc(limits.frameBytesMax + 1));
  t.is(await big.closed, 1009);
  const healthy = await connect(port, t);
  healthy.socket.send(metadata(1));
  t.is((await healthy.next()).errorCode, 0);
});

/**
 * Regression (found by auditing the listener's socket handlers): a connection refused for
 * being over `connectionsMax` was closed without an 'error' listener. Until its closing
 * handshake ended its frames were still parsed, and a malformed one made ws emit 'error' on
 * a socket nobody listened to: an uncaught exception that took the whole process down.
 */
test('bad input: a malformed frame on a connection refused at the limit does not kill the server', async (t) => {
  const { port } = await serve(t, {
    connectionsMax: 1,
    handle: async () => ({ clusterId: 'c', controllerId: 1, brokers: [], topics: [] }),
  });
  const admitted = await connect(port, t);
  const refused = connectTcp(port, '127.0.0.1');
  t.teardown(() => refused.destroy());
  await new Promise((resolve, reject) => {
    refused.once('connect', resolve);
    refused.once('error', reject);
  });
  const closeFrameSeen = new Promise<void>((resolve) => {
    let received = Buffer.alloc(0);
    refused.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const body = received.indexOf('\r\n\r\n');
      if (body >= 0 && received[body + 4] === 0x88) resolve();
    });
  });
  refused.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await closeFrameSeen; // refused: 1013, too many connections
  // A client frame must be masked: this one is not, a protocol error for the server's parser.
  refused.write(Buffer.from([0x82, 0x01, 0x00]));
  await new Promise((resolve) => refused.once('close', resolve));
  admitted.socket.send(metadata(1));
  t.is((await admitted.next()).errorCode, 0, 'the admitted connection is still served');
});

/**
 * Fetch answers are pieces that view storage read buffers; `settled` lends those buffers
 * back for reuse. It must run only once the frame has been copied for the socket (or the
 * answer dropped): here it overwrites the batch at once, and the client must still see the
 * batch as it was when answered.
 */
test('an encoded answer is settled once, after its pieces were copied into the frame', async (t) => {
  const batch = Buffer.from('stored batch bytes, lent by a read buffer pool');
  let settled = 0;
  const { port } = await serve(t, {
    handle: async (frame) => {
      const topics = (frame.body as { topics: string[] | null }).topics;
      const overwrite = () => {
        settled += 1;
        batch.fill(0xee);
      };
      if (topics?.[0] === 'boom') {
        return new EncodedResponse(() => {
          throw new Error('encoder bug');
        }, overwrite);
      }
      return new EncodedResponse(
        (id) => [
          encodeResponse({ correlationId: id, errorCode: 0, message: null, body: null }),
          batch,
        ],
        overwrite,
      );
    },
  });
  const socket = await openSocket(port, t);
  const received = () =>
    new Promise<Buffer>((resolve) => socket.once('message', (data) => resolve(data as Buffer)));

  const answer = received();
  socket.send(metadata(1, 'pieces'));
  const frame = await answer;
  t.true(frame.includes('stored batch bytes, lent by a read buffer pool'));
  t.is(settled, 1);
  t.true(
    batch.every((byte) => byte === 0xee),
    'settled ran and reused the memory',
  );

  const failed = received();
  socket.send(metadata(2, 'boom'));
  const head = decodeResponseHead(await failed);
  t.is(head.errorCode, ErrorCode.UnknownServerError.code);
  t.is(settled, 2, 'settled also when encoding fails');
});

/**
 * Answers assembled from pieces go out in pooled frames: a buffer is reused only after the
 * socket wrote the frame it held. Many large answers in flight at once (each a different
 * fill) must each arrive whole and unmixed, and the pool must end with its buffers back.
 */
test('pooled answer frames are reused only once written: concurrent answers arrive intact', async (t) => {
  const answerBytes = 256 * 1024;
  const { server, port } = await serve(t, {
    framePoolLimits: { bufferBytesMax: 1024 * 1024, buffersMax: 4 },
    handle: async (frame) => {
      const fill = frame.correlationId % 251;
      const batch = Buffer.alloc(answerBytes, fill);
      return new EncodedResponse((id) => [
        encodeResponse({ correlationId: id, errorCode: 0, message: null, body: null }),
        batch,
      ]);
    },
  });
  const socket = await openSocket(port, t);
  const requestCount = 40;
  const frames: Buffer[] = [];
  const allReceived = new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      frames.push(data as Buffer);
      if (frames.length === requestCount) resolve();
    }),
  );
  for (let id = 1; id <= requestCount; id += 1) socket.send(metadata(id));
  await allReceived;

  for (const frame of frames) {
    const head = frame.subarray(0, frame.byteLength - answerBytes);
    const batch = frame.subarray(frame.byteLength - answerBytes);
    const { correlationId } = decodeResponseHead(head);
    t.true(
      batch.every((byte) => byte === correlationId % 251),
      `answer ${correlationId} arrived intact`,
    );
  }
  t.true(server.framePool.owned >= 1, 'answers used pooled memory');
  t.true(server.framePool.owned <= 4, 'the pool keeps its bound');
  t.is(server.framePool.freeCount, server.framePool.owned, 'every written frame came back');
});
