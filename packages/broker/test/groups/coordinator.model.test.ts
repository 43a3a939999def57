/**
 * Model-based test of the group coordinator: simulated members join, sync, heartbeat,
 * commit, leave and crash in any order while time advances and offset-log writes are held
 * and released. After every step:
 * - an assignment delivered for generation g goes only to a member that joined g, and is
 *   exactly what g's leader assigned to it (never another generation's);
 * - no partition has two owners (distinct instances) in one generation;
 * - the committed offset is the value of the last successful commit in commit order.
 */
import { ErrorCode, type JoinGroupResponse } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import type { GroupCoordinator } from '../../src/groups/coordinator.ts';
import { context, joinRequest, type MemoryOffsetLog, makeCoordinator, settle } from './harness.ts';

const partitionCount = 6;
const clientCount = 4;
const E = ErrorCode;

interface SimClient {
  readonly index: number;
  /** Static members keep an instance id across crashes. */
  readonly instanceId: string | null;
  incarnation: number;
  memberId: string;
  generationId: number;
  members: JoinGroupResponse['members'];
  isLeader: boolean;
  joining: boolean;
  syncing: boolean;
  needsJoin: boolean;
  synced: boolean;
  /** Generations this client joined (with its current member id), oldest first. */
  history: number[];
}

interface World {
  coordinator: GroupCoordinator;
  log: MemoryOffsetLog;
  clock: { now: number; advance(ms: number): number };
  clients: SimClient[];
  /** generation → member ids answered successfully by JoinGroup for it. */
  joined: Map<number, Set<string>>;
  /** generation → member id → partitions its leader assigned. */
  assigned: Map<number, Map<string, number[]>>;
  /** generation → partition → owner identities (instance id, or member id). */
  owners: Map<number, Map<number, Set<string>>>;
  /** Every member id the static instance was given, in order. */
  staticIds: string[];
  deliveries: number;
  commitsSent: number;
  lastSuccessfulCommit: { index: number; offset: number } | undefined;
  pendingCommits: number;
  failures: string[];
}

const encode = (partitions: number[]) => new Uint8Array(partitions);
const decode = (bytes: Uint8Array) => [...bytes];

function fail(world: World, message: string) {
  world.failures.push(message);
}

function identity(client: SimClient, memberId: string) {
  return client.instanceId ?? memberId;
}

/** What the leader of `generation` assigned to this member (or, for the static instance, to any of its ids). */
function expectedAssignment(world: World, client: SimClient, memberId: string, generation: number) {
  const plan = world.assigned.get(generation);
  if (plan === undefined) return [];
  if (client.instanceId === null) return plan.get(memberId) ?? [];
  const ids = [memberId, ...[...world.staticIds].reverse()];
  for (const id of ids) if (plan.has(id)) return plan.get(id) ?? [];
  return [];
}

/** What the coordinator told: recorded even when the client crashed meanwhile. */
function recordJoin(world: World, client: SimClient, response: JoinGroupResponse) {
  if (response.error !== E.None.code) return;
  const set = world.joined.get(response.generationId) ?? new Set<string>();
  set.add(response.memberId);
  world.joined.set(response.generationId, set);
  if (client.instanceId !== null) world.staticIds.push(response.memberId);
}

function onJoined(client: SimClient, response: JoinGroupResponse) {
  if (client.memberId !== response.memberId) client.history = [];
  client.history.push(response.generationId);
  client.memberId = response.memberId;
  client.generationId = response.generationId;
  client.members = response.members;
  client.isLeader = response.leader === response.memberId && response.members.length > 0;
}

function startJoin(world: World, client: SimClient) {
  if (client.joining) return;
  client.joining = true;
  const incarnation = client.incarnation;
  const request = joinRequest({ memberId: client.memberId, groupInstanceId: client.instanceId });
  world.coordinator.joinGroup(request, context).then((response) => {
    recordJoin(world, client, response);
    if (client.incarnation !== incarnation) return;
    client.joining = false;
    if (response.error === E.MemberIdRequired.code) {
      client.memberId = response.memberId;
      startJoin(world, client);
    } else if (response.error === E.None.code) {
      onJoined(client, response);
      client.needsJoin = false;
      client.synced = false;
    } else {
      react(client, response.error);
      client.needsJoin = true;
    }
  });
}

function startSync(world: World, client: SimClient, generationId = client.generationId) {
  if (client.syncing || generationId < 1 || client.memberId === '') return;
  client.syncing = true;
  const incarnation = client.incarnation;
  const memberId = client.memberId;
  let assignments: { memberId: string; assignment: Uint8Array }[] = [];
  if (client.isLeader && generationId === client.generationId) {
    const ids = client.members.map((m) => m.memberId).sort();
    const plan = new Map<string, number[]>(ids.map((id) => [id, []]));
    for (let p = 0; p < partitionCount; p += 1) plan.get(ids[p % ids.length] as string)?.push(p);
    if (!world.assigned.has(generationId)) world.assigned.set(generationId, plan);
    assignments = [...plan].map(([id, partitions]) => ({
      memberId: id,
      assignment: encode(partitions),
    }));
  }
  const request = {
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: client.instanceId,
    assignments,
  };
  world.coordinator.syncGroup(request).then((response) => {
    if (response.error === E.None.code)
      checkDelivery(world, client, memberId, generationId, decode(response.assignment));
    if (client.incarnation !== incarnation) return;
    client.syncing = false;
    if (response.error === E.None.code) client.synced = true;
    else react(client, response.error);
  });
}

function checkDelivery(
  world: World,
  client: SimClient,
  memberId: string,
  generation: number,
  partitions: number[],
) {
  if (!world.joined.get(generation)?.has(memberId)) {
    fail(world, `${memberId} got an assignment of generation ${generation} it never joined`);
  }
  world.deliveries += 1;
  const expected = expectedAssignment(world, client, memberId, generation);
  if (JSON.stringify(expected) !== JSON.stringify(partitions)) {
    fail(
      world,
      `${memberId} got ${partitions} in generation ${generation}; leader assigned ${expected}`,
    );
  }
  const owners = world.owners.get(generation) ?? new Map<number, Set<string>>();
  world.owners.set(generation, owners);
  for (const p of partitions) {
    const set = owners.get(p) ?? new Set<string>();
    set.add(identity(client, memberId));
    owners.set(p, set);
    if (set.size > 1)
      fail(world, `partition ${p} has owners ${[...set]} in generation ${generation}`);
  }
}

type Model = Record<string, never>;
type Command = fc.AsyncCommand<Model, World>;

function command(name: string, run: (world: World) => void | Promise<void>): Command {
  return {
    check: () => true,
    run: async (_model, world) => {
      await run(world);
      await settle();
      await verifyCommits(world);
      if (world.failures.length > 0) throw new Error(world.failures.join('; '));
    },
    toString: () => name,
  };
}

async function verifyCommits(world: World) {
  if (world.pendingCommits > 0 || world.log.heldCount > 0) return;
  const fetched = await world.coordinator.offsetFetch({
    groupId: 'g',
    topics: [{ name: 't', partitions: [0] }],
  });
  const offset = fetched.topics[0]?.partitions[0]?.offset;
  const expected = world.lastSuccessfulCommit?.offset ?? -1;
  if (offset !== expected) fail(world, `committed offset ${offset}, expected ${expected}`);
}

function commit(world: World, client: SimClient, offset: number) {
  if (client.memberId === '' || client.generationId < 1) return;
  world.commitsSent += 1;
  world.pendingCommits += 1;
  const index = world.commitsSent;
  const request = {
    groupId: 'g',
    generationId: client.generationId,
    memberId: client.memberId,
    groupInstanceId: client.instanceId,
    topics: [{ name: 't', partitions: [{ partition: 0, offset, metadata: '' }] }],
  };
  world.coordinator.offsetCommit(request).then((response) => {
    world.pendingCommits -= 1;
    if (response.topics[0]?.partitions[0]?.error !== E.None.code) return;
    if (world.lastSuccessfulCommit === undefined || world.lastSuccessfulCommit.index < index) {
      world.lastSuccessfulCommit = { index, offset };
    }
  });
}

const clientIndex = fc.integer({ min: 0, max: clientCount - 1 });
const commands = [
  ...Array.from({ length: 12 }, () =>
    clientIndex.map((i) => command(`step(${i})`, (w) => step(w, w.clients[i]!))),
  ),
  ...Array.from({ length: 2 }, () =>
    fc
      .tuple(clientIndex, fc.integer({ min: 0, max: 1000 }))
      .map(([i, offset]) =>
        command(`commit(${i}, ${offset})`, (w) => commit(w, w.clients[i]!, offset)),
      ),
  ),
  clientIndex.map((i) =>
    command(`leave(${i})`, async (w) => {
      const c = w.clients[i]!;
      if (c.memberId === '') return;
      await w.coordinator.leaveGroup({
        groupId: 'g',
        members: [{ memberId: c.memberId, groupInstanceId: c.instanceId }],
      });
      crash(c);
    }),
  ),
  clientIndex.map((i) => command(`crash(${i})`, (w) => crash(w.clients[i]!))),
  // A retried or late SyncGroup, for a generation the client joined earlier.
  fc.tuple(clientIndex, fc.nat()).map(([i, pick]) =>
    command(`late-sync(${i}, ${pick})`, (w) => {
      const c = w.clients[i]!;
      startSync(w, c, c.history[pick % Math.max(1, c.history.length)] ?? -1);
    }),
  ),
  fc.oneof(fc.integer({ min: 100, max: 3_000 }), fc.integer({ min: 100, max: 40_000 })).map((ms) =>
    command(`advance(${ms})`, (w) => {
      w.clock.advance(ms);
      w.coordinator.tick(w.clock.now);
    }),
  ),
  fc.constant(
    command('hold-log', (w) => {
      w.log.hold = true;
    }),
  ),
  fc.constant(
    command('release-log', (w) => {
      w.log.hold = false;
      w.log.release();
    }),
  ),
];

function crash(client: SimClient) {
  client.incarnation += 1;
  client.memberId = '';
  client.generationId = -1;
  client.members = [];
  client.isLeader = false;
  client.joining = false;
  client.syncing = false;
  client.needsJoin = true;
  client.synced = false;
}

/** Reacts to an error code the way a client does. */
function react(client: SimClient, error: number) {
  if (error === E.RebalanceInProgress.code || error === E.IllegalGeneration.code) {
    client.needsJoin = true;
  } else if (error === E.UnknownMemberId.code || error === E.FencedInstanceId.code) {
    if (client.instanceId === null || error === E.FencedInstanceId.code) client.memberId = '';
    client.generationId = -1;
    client.needsJoin = true;
  }
}

/** The next thing a well-behaved client would do. */
function step(world: World, client: SimClient) {
  if (client.needsJoin && !client.joining) return startJoin(world, client);
  if (!client.needsJoin && !client.synced && !client.syncing) return startSync(world, client);
  if (client.memberId === '' || client.generationId < 1) return;
  const request = {
    groupId: 'g',
    generationId: client.generationId,
    memberId: client.memberId,
    groupInstanceId: client.instanceId,
  };
  const incarnation = client.incarnation;
  return world.coordinator.heartbeat(request).then((response) => {
    if (client.incarnation === incarnation) react(client, response.error);
  });
}

function newWorld(): World {
  const { coordinator, log, clock } = makeCoordinator();
  const clients: SimClient[] = Array.from({ length: clientCount }, (_, index) => ({
    index,
    instanceId: index === 0 ? 'static-0' : null,
    incarnation: 0,
    memberId: '',
    generationId: -1,
    members: [],
    isLeader: false,
    joining: false,
    syncing: false,
    needsJoin: true,
    synced: false,
    history: [],
  }));
  return {
    coordinator,
    log,
    clock,
    clients,
    joined: new Map(),
    assigned: new Map(),
    owners: new Map(),
    staticIds: [],
    deliveries: 0,
    commitsSent: 0,
    lastSuccessfulCommit: undefined,
    pendingCommits: 0,
    failures: [],
  };
}

test('model: assignments go only to their generation, one owner per partition, commits in order', async (t) => {
  let deliveries = 0;
  let commits = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 150, size: 'max' }), async (cmds) => {
      const world = newWorld();
      await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
      // Drain: release the log and let every pending answer arrive, then check once more.
      world.log.hold = false;
      world.log.release();
      await settle();
      await verifyCommits(world);
      if (world.failures.length > 0) throw new Error(world.failures.join('; '));
      deliveries += world.deliveries;
      commits += world.lastSuccessfulCommit === undefined ? 0 : 1;
    }),
    { numRuns: Number(process.env.GROUP_MODEL_RUNS ?? 150) },
  );
  // The runs must actually reach the interesting states, or the test proves nothing.
  t.true(deliveries > 100, `only ${deliveries} assignments delivered`);
  t.true(commits > 10, `only ${commits} runs committed`);
  t.log(`${deliveries} assignments delivered, ${commits} runs with commits`);
});
