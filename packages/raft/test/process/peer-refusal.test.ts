/**
 * Issue 4's proof against real node processes: a process without the cluster secret is
 * refused (its attempts counted and logged) and never gets a message in; malformed and
 * oversized frames from an authenticated peer are dropped without harming the node; bad
 * lines on the control channel get typed error replies. Proposals keep committing
 * throughout, and the applied sequences agree at the end.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type WebSocket from 'ws';
import { MessageType } from '../../src/core/types.ts';
import { encodeMessagesFrame } from '../../src/transport/frame.ts';
import { NodeHandle } from '../../test-support/node-handle.ts';
import { type ProcessCluster, waitUntil } from '../../test-support/process-cluster.ts';
import { ProposalLoad } from '../../test-support/proposal-load.ts';
import {
  checkConverged,
  electionDeadlineMs,
  progressDeadlineMs,
  settings,
  startCluster,
  testTimeoutMs,
} from './helpers.ts';
import { dialAuthenticated } from './raw-peer.ts';

const frameBytesMax = 256 * 1024;
const groupCount = 5;

function loggedEvents(
  cluster: ProcessCluster,
  node: number,
  event: string,
): Record<string, unknown>[] {
  return readFileSync(cluster.logPathOf(node), 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function startRogue(
  t: Parameters<typeof startCluster>[0],
  cluster: ProcessCluster,
): Promise<NodeHandle> {
  const dir = join(cluster.root, 'rogue');
  await mkdir(dir, { recursive: true });
  const rogue = await NodeHandle.launch({
    ...settings,
    nodeId: 1,
    dir,
    voters: [1, 2, 3, 4],
    groups: groupCount,
    secret: 'not the cluster secret, but long enough',
    logPath: join(cluster.root, 'rogue.log'),
    peers: new Map([2, 3, 4].map((id) => [id, cluster.urlOf(id)])),
  });
  t.teardown(() => rogue.kill());
  return rogue;
}

async function sendGarbage(socket: WebSocket): Promise<void> {
  const heartbeat = (group: number, from: number) => ({
    type: MessageType.Heartbeat,
    group,
    from,
    to: 2,
    term: 1,
    commit: 0,
    context: 0,
  });
  socket.send(Buffer.from([0xc1, 0xff, 0x00, 0x13])); // not msgpack
  socket.send('a text frame');
  socket.send(encodeMessagesFrame([{ nonsense: true } as never]));
  socket.send(encodeMessagesFrame([heartbeat(1, 3)])); // claims to come from node 3
  const closed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the node kept the connection')), 60_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
  socket.send(Buffer.alloc(frameBytesMax + 1024, 0x5a)); // above the node's frame limit
  await closed;
}

test('no secret, no entry; malformed and oversized frames and bad control lines harm nothing', async (t) => {
  t.timeout(testTimeoutMs);
  const cluster = await startCluster(t, {
    nodeIds: [2, 3, 4],
    groups: groupCount,
    settings: { ...settings, frameBytesMax },
  });
  await cluster.waitForLeaders(cluster.groupIds, electionDeadlineMs);
  const load = new ProposalLoad(cluster, {
    groups: cluster.groupIds,
    idsPerRequest: 2,
    entryBytes: 64,
    pauseMs: 100,
    requestTimeoutMs: 30_000,
  });
  load.start();
  await load.waitForAcked(50, progressDeadlineMs);

  // A process with another secret, claiming to be node 1, dials every node.
  const rogue = await startRogue(t, cluster);
  await waitUntil(
    async () =>
      [...(await cluster.statuses()).values()].every((s) => s.transport.authFailures >= 2),
    { timeoutMs: progressDeadlineMs, what: 'every node refused the rogue twice' },
  );
  for (const id of cluster.nodeIds) {
    const refusals = loggedEvents(cluster, id, 'peer-auth-failed');
    t.true(
      refusals.some((r) => r.claimedId === 1 && /wrong proof/.test(String(r.reason))),
      `node ${id} logged it`,
    );
  }
  const rogueStatus = await rogue.status();
  for (const peer of Object.values(rogueStatus.transport.peers)) {
    t.not(peer.state, 'connected');
    t.is(peer.messagesReceived, 0);
  }
  t.true(
    Object.values(rogueStatus.groups).every((g) => g.role !== 'leader'),
    'the rogue leads nothing',
  );
  await rogue.kill();

  // An authenticated peer (node 1, with the secret) sends what no correct peer would.
  const victim = cluster.handle(2);
  const pid = victim.pid;
  const socket = await dialAuthenticated({
    url: cluster.urlOf(2),
    secret: cluster.secret,
    dialerId: 1,
  });
  await sendGarbage(socket);
  t.log('garbage sent');
  const status = await victim.status();
  t.is(status.pid, pid, 'the same process');
  t.is(status.transport.oversizeFramesReceived, 1);
  const link = status.transport.peers['1'];
  t.is(link?.malformedFrames, 2);
  t.is(link?.invalidMessages, 1);
  t.is(link?.misaddressedMessages, 1);
  t.true(loggedEvents(cluster, 2, 'peer-frame-too-large').length === 1);
  // The node still authenticates peers after that.
  (
    await dialAuthenticated({ url: cluster.urlOf(2), secret: cluster.secret, dialerId: 1 })
  ).terminate();

  t.log('authenticated again');
  // Bad control lines get typed errors; the channel keeps working.
  victim.writeRaw('this is not JSON');
  await t.throwsAsync(victim.request({ op: 'propose', group: 1, ids: [], size: 64 }), {
    message: /BAD_REQUEST/,
  });
  await t.throwsAsync(victim.request({ op: 'launch-missiles' }), { message: /unknown op/ });

  t.log('bad control lines answered');
  const before = load.ackedCount;
  await load.waitForAcked(before + 100, progressDeadlineMs);
  await checkConverged(t, cluster, load);
  t.true(victim.alive);
});
