import test from 'ava';
import { WebSocket } from 'ws';
import { MessageType } from '../../src/core/types.ts';
import { encodeMessagesFrame } from '../../src/transport/frame.ts';
import {
  decodeChallenge,
  dialerProof,
  encodeAuth,
  newNonce,
} from '../../src/transport/handshake.ts';
import { PeerTransport } from '../../src/transport/peer-transport.ts';
import { append, eventually, heartbeat, secret, startNode, validate } from './helpers.ts';

/** Starts nodes 1..n knowing each other (ports are learnt first, then peers added). */
async function cluster(t: Parameters<typeof startNode>[0], count: number) {
  const nodes = [];
  for (let id = 1; id <= count; id++) nodes.push(await startNode(t, id, new Map()));
  for (const node of nodes) {
    for (const other of nodes) {
      if (other !== node) node.transport.addPeer(other.transport.nodeId, other.url);
    }
  }
  return nodes;
}

test("two transports exchange many groups' messages in both directions, in order", async (t) => {
  const [one, two] = await cluster(t, 2);
  if (one === undefined || two === undefined) throw new Error('cluster');
  const groups = 200;
  const perGroup = 20;
  for (let index = 1; index <= perGroup; index++) {
    const batch = [];
    for (let group = 0; group < groups; group++)
      batch.push(append(group, 1, 2, index), append(group, 2, 1, index));
    one.transport.send(batch.filter((m) => m.from === 1));
    two.transport.send(batch.filter((m) => m.from === 2));
  }
  const total = groups * perGroup;
  // Appends of a group that wait in a queue together coalesce: count entries, not messages.
  const entriesOf = (node: typeof one) =>
    node.received.reduce(
      (sum, { message }) =>
        sum + (message.type === MessageType.Append ? message.entries.length : 0),
      0,
    );
  await eventually(
    () => entriesOf(one) === total && entriesOf(two) === total,
    'all entries arrive',
  );
  for (const node of [one, two]) {
    const lastIndex = new Map<number, number>();
    for (const { from, message } of node.received) {
      t.not(from, node.transport.nodeId);
      if (message.type !== MessageType.Append) throw new Error('not an append');
      t.is(message.prevLogIndex, lastIndex.get(message.group) ?? 0, 'per-group order holds');
      for (const entry of message.entries) {
        t.true(entry.data instanceof Uint8Array, 'entry data arrives as bytes, not an array');
        t.is(entry.data.byteLength, 100);
        t.is(entry.index, (lastIndex.get(message.group) ?? 0) + 1, 'per-group order holds');
        lastIndex.set(message.group, entry.index);
      }
    }
  }
  const stats = one.transport.stats().peers.get(2);
  t.is(stats?.state, 'connected');
  t.true(
    (stats?.framesSent ?? 0) < total / 10,
    `messages were batched (${stats?.framesSent} frames)`,
  );
  t.is(stats?.connects, 1, 'one connection per peer pair');
});

test('three transports: every node reaches every other over one connection each', async (t) => {
  const nodes = await cluster(t, 3);
  for (const node of nodes) {
    const messages = [];
    for (const other of nodes) {
      if (other === node) continue;
      for (let group = 0; group < 50; group++)
        messages.push(heartbeat(group, node.transport.nodeId, other.transport.nodeId));
    }
    node.transport.send(messages);
  }
  await eventually(
    () => nodes.every((n) => n.received.length === 100),
    'each node hears 50 groups from 2 peers',
  );
  for (const node of nodes) {
    const senders = new Set(node.received.map((r) => r.from));
    t.is(senders.size, 2);
    for (const peer of node.transport.stats().peers.values()) t.is(peer.connects, 1);
  }
});

test('a peer that restarts is reconnected to, and messages flow again', async (t) => {
  const one = await startNode(t, 1, new Map());
  let two = await startNode(t, 2, new Map([[1, one.url]]));
  const port = two.transport.port;
  one.transport.addPeer(2, two.url);
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(() => two.received.length === 1, 'first message');
  await two.transport.close();
  await eventually(
    () => one.transport.stats().peers.get(2)?.state !== 'connected',
    'node 1 sees the loss',
  );
  // The restarted process listens on the same address.
  two = await startNode(t, 2, new Map([[1, one.url]]), { listen: { host: '127.0.0.1', port } });
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(() => two.received.length >= 1, 'a message reaches the restarted peer');
  two.transport.send([heartbeat(1, 2, 1)]);
  await eventually(() => one.received.length === 1, 'and the restarted peer can answer');
  t.true((one.transport.stats().peers.get(2)?.connects ?? 0) >= 2);
});

test('a node with a wrong secret is refused on both sides, and it is logged', async (t) => {
  const one = await startNode(t, 1, new Map());
  const two = await startNode(t, 2, new Map(), { secret: 'a different secret of enough length' });
  one.transport.addPeer(2, two.url);
  two.transport.addPeer(1, one.url);
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(
    () => two.transport.stats().authFailures >= 1,
    'the acceptor refuses the dialer',
  );
  t.true(
    two.warnings.some(
      (w) => w.event === 'peer-auth-failed' && /proof/.test(String(w.fields.reason)),
    ),
  );
  two.transport.send([heartbeat(1, 2, 1)]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(one.received.length, 0);
  t.is(two.received.length, 0);
  t.not(one.transport.stats().peers.get(2)?.state, 'connected');
});

test('a process without the secret cannot deliver a vote, even by replaying an old handshake', async (t) => {
  const one = await startNode(t, 1, new Map());
  const two = await startNode(t, 2, new Map());
  one.transport.addPeer(2, two.url);
  two.transport.addPeer(1, one.url);
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(() => two.received.length === 1, 'the real peers connect');
  // An intruder: a raw client that sends a Vote frame straight away.
  const vote = {
    type: MessageType.Vote,
    group: 1,
    from: 1,
    to: 2,
    term: 99,
    lastLogIndex: 1e6,
    lastLogTerm: 99,
    transfer: false,
  };
  const intruder = new WebSocket(two.url);
  intruder.on('error', () => {});
  await new Promise((resolve) => intruder.once('open', resolve));
  intruder.send(encodeMessagesFrame([vote as never]));
  await new Promise((resolve) => intruder.once('close', resolve));
  // A replayer: answers a fresh challenge with an auth computed for another challenge.
  const replayer = new WebSocket(two.url);
  replayer.on('error', () => {});
  const challengeBytes = await new Promise<Buffer>((resolve) =>
    replayer.once('message', (data) => resolve(data as Buffer)),
  );
  const challenge = decodeChallenge(challengeBytes);
  if (challenge === undefined) throw new Error('no challenge');
  const oldChallenge = { acceptorId: 2, acceptorNonce: newNonce() };
  const dialerNonce = newNonce();
  const staleProof = dialerProof(Buffer.from(secret), oldChallenge, 1, dialerNonce);
  replayer.send(encodeAuth({ dialerId: 1, acceptorId: 2, dialerNonce, dialerProof: staleProof }));
  replayer.send(encodeMessagesFrame([vote as never]));
  await new Promise((resolve) => replayer.once('close', resolve));
  t.false(
    two.received.some((r) => r.message.type === MessageType.Vote),
    'no vote was delivered',
  );
  t.true(two.transport.stats().authFailures >= 2);
  t.is(
    two.warnings.filter((w) => w.event === 'peer-auth-failed').length,
    two.transport.stats().authFailures,
  );
  // The real link is unharmed.
  one.transport.send([heartbeat(2, 1, 2)]);
  await eventually(() => two.received.length === 2, 'the real peer still gets through');
});

test('garbage, malformed frames, invalid and misaddressed messages are dropped and counted', async (t) => {
  const one = await startNode(t, 1, new Map());
  const two = await startNode(t, 2, new Map());
  one.transport.addPeer(2, two.url);
  two.transport.addPeer(1, one.url);
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(() => two.received.length === 1, 'connected');
  // Reach into node 1's authenticated socket to send what a broken peer would.
  const link = (
    one.transport as unknown as { links: Map<number, { socket: WebSocket }> }
  ).links.get(2);
  const socket = link?.socket;
  if (socket === undefined) throw new Error('no socket');
  socket.send(Buffer.from([0xc1, 0xff, 0x00]));
  socket.send('a text frame');
  socket.send(encodeMessagesFrame([{ nonsense: true } as never, heartbeat(3, 1, 2)]));
  socket.send(encodeMessagesFrame([heartbeat(4, 3, 2), heartbeat(5, 1, 9)]));
  one.transport.send([heartbeat(6, 1, 2)]);
  await eventually(
    () => two.received.some((r) => r.message.group === 6),
    'a later good message still arrives',
  );
  const stats = two.transport.stats().peers.get(1);
  t.is(stats?.malformedFrames, 2);
  t.is(stats?.invalidMessages, 1);
  t.is(stats?.misaddressedMessages, 2);
  t.deepEqual(
    two.received.map((r) => r.message.group),
    [1, 3, 6],
  );
  t.is(stats?.connects, 1, 'the connection survived');
});

test('an oversize frame is refused by the receiver without harming it', async (t) => {
  const one = await startNode(t, 1, new Map(), { frameBytesMax: 1 << 22 });
  const two = await startNode(t, 2, new Map(), { frameBytesMax: 1 << 16 });
  one.transport.addPeer(2, two.url);
  two.transport.addPeer(1, one.url);
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(() => two.received.length === 1, 'connected');
  one.transport.send([append(7, 1, 2, 1, 200_000)]);
  await eventually(
    () => two.transport.stats().oversizeFramesReceived === 1,
    'the receiver refused it',
  );
  t.true(two.warnings.some((w) => w.event === 'peer-frame-too-large'));
  one.transport.send([heartbeat(8, 1, 2)]);
  await eventually(() => two.received.some((r) => r.message.group === 8), 'the link recovers');
  // The sender itself never builds a frame above its own limit.
  two.transport.send([append(9, 2, 1, 1, 100_000)]);
  t.is(two.transport.stats().peers.get(1)?.droppedOversize, 1);
});

test('the send queue stays bounded while a peer is down, oldest messages dropped', async (t) => {
  const one = await startNode(t, 1, new Map([[2, 'ws://127.0.0.1:9']]), {
    queueMessagesMax: 100,
    queueBytesMax: 50_000,
  });
  // One append for each of 1,000 groups: nothing to coalesce, so the bounds must drop.
  for (let i = 1; i <= 1000; i++) one.transport.send([append(i, 1, 2, 1, 100)]);
  const stats = one.transport.stats().peers.get(2);
  t.true((stats?.queueMessages ?? 0) <= 100);
  t.true((stats?.queueBytes ?? 0) <= 50_000);
  t.is((stats?.queueMessages ?? 0) + (stats?.droppedQueueFull ?? 0), 1000);
  t.not(stats?.state, 'connected');
});

test("a group's consecutive appends waiting for a down peer coalesce into one message", async (t) => {
  const one = await startNode(t, 1, new Map([[2, 'ws://127.0.0.1:9']]));
  for (let i = 1; i <= 1000; i++) one.transport.send([append(1, 1, 2, i, 100)]);
  one.transport.send([heartbeat(1, 1, 2)]);
  one.transport.send([append(1, 1, 2, 1001, 100)]); // after the heartbeat: a new message
  const stats = one.transport.stats().peers.get(2);
  t.is(stats?.queueMessages, 3);
  t.is(stats?.droppedQueueFull, 0);
  // Each append keeps its own estimate (envelope included) when merged: conservative.
  t.is(stats?.queueBytes, 1001 * (100 + 24 + 64) + 64);
});

test('configuration errors are typed', async (t) => {
  const base = {
    nodeId: 1,
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map<number, string>(),
    secret,
    validate,
    onMessages: () => {},
  };
  await t.throwsAsync(PeerTransport.start({ ...base, secret: 'short' }), { message: /secret/ });
  await t.throwsAsync(PeerTransport.start({ ...base, nodeId: 0 }), { message: /node id/ });
  await t.throwsAsync(PeerTransport.start({ ...base, peers: new Map([[1, 'ws://x']]) }), {
    message: /peer id/,
  });
  await t.throwsAsync(PeerTransport.start({ ...base, peers: new Map([[2, 'http://x']]) }), {
    message: /ws:\/\//,
  });
});

test('raw TCP garbage, a pre-auth flood and a silent client are cut; real peers still connect', async (t) => {
  // The flood must be cut for its bytes, not by the deadline: a long deadline here (a short
  // one raced the 64 KiB flood at load average 45). The silent client gets a short one.
  const two = await startNode(t, 2, new Map(), { handshakeTimeoutMs: 60_000 });
  const patient = await startNode(t, 3, new Map(), { handshakeTimeoutMs: 300 });
  const { connect } = await import('node:net');
  // Not even HTTP.
  const garbage = connect(two.transport.port, '127.0.0.1');
  garbage.on('error', () => {});
  garbage.resume(); // read the server's 400 and its end, so the socket closes
  garbage.write(Buffer.from('\x00\x01\x02 definitely not an upgrade request\r\n\r\n'));
  await new Promise((resolve) => garbage.once('close', resolve));
  // A WebSocket client that floods binary junk instead of authenticating.
  const flooder = new WebSocket(two.url);
  flooder.on('error', () => {});
  await new Promise((resolve) => flooder.once('open', resolve));
  flooder.send(Buffer.alloc(64 * 1024, 0xab));
  await new Promise((resolve) => flooder.once('close', resolve));
  // A client that never says anything.
  const silent = new WebSocket(patient.url);
  silent.on('error', () => {});
  await new Promise((resolve) => silent.once('close', resolve));
  const reasons = (node: typeof two) =>
    node.warnings.filter((w) => w.event === 'peer-auth-failed').map((w) => String(w.fields.reason));
  t.true(
    reasons(two).some((r) => /too many bytes|malformed/.test(r)),
    reasons(two).join('; '),
  );
  t.false(
    reasons(two).some((r) => /timed out/.test(r)),
    reasons(two).join('; '),
  );
  t.true(
    reasons(patient).some((r) => /timed out/.test(r)),
    reasons(patient).join('; '),
  );
  t.is(two.received.length, 0);
  const one = await startNode(t, 1, new Map([[2, two.url]]));
  one.transport.send([heartbeat(1, 1, 2)]);
  await eventually(() => two.received.length === 1, 'a real peer still gets through');
});
