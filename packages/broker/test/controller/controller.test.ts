import { Api, ErrorCode } from '@tributary/protocol';
import test from 'ava';
import { Controller, type MetadataLog, offsetsTopicName } from '../../src/controller/controller.ts';
import { signInternal, verifyInternal } from '../../src/controller/internal-auth.ts';
import { silentLogger } from '../../src/logger.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { MetadataState } from '../../src/metadata/state.ts';

/** The metadata log reduced to its contract for controller logic: apply in order, at once. */
function setup(options: { leader?: boolean } = {}) {
  const state = new MetadataState();
  let now = 1_000_000;
  let leader = options.leader ?? true;
  const log: MetadataLog = {
    isLeader: () => leader,
    propose: async (record: MetadataRecord) => state.apply(state.appliedIndex + 1, record),
  };
  const controller = new Controller({
    state,
    log,
    nowMs: () => now,
    logger: silentLogger,
    brokerSessionMs: 5000,
    defaultReplicationFactor: 3,
    offsetsTopicPartitions: 4,
    bootstrapVoterCount: 3,
  });
  const register = (nodeId: number) =>
    controller.registerBroker({
      type: 'register-broker',
      nodeId,
      host: 'h',
      port: 1,
      peerUrl: 'ws://h:2',
      incarnation: 'x',
    });
  return {
    state,
    controller,
    register,
    advance: (ms: number) => {
      now += ms;
    },
    setLeader: (value: boolean) => {
      leader = value;
    },
  };
}

const createRequest = (name: string, partitions = 3, replicationFactor = 3, configs = {}) => ({
  topics: [{ name, partitions, replicationFactor, configs }],
  timeoutMs: 1000,
  validateOnly: false,
});

test('creates topics over live brokers only', async (t) => {
  const { controller, register, state, advance } = setup();
  await register(1);
  await register(2);
  await register(3);
  advance(4000);
  controller.noteHeartbeat(1, 'x');
  controller.noteHeartbeat(2, 'x');
  advance(2000); // broker 3 is now past its session
  t.deepEqual(controller.liveBrokers(), [1, 2]);
  const [tooMany] = await controller.createTopics(createRequest('a'));
  t.is(tooMany?.error, ErrorCode.InvalidReplicationFactor.code);
  const [ok] = await controller.createTopics(createRequest('a', 4, 2));
  t.is(ok?.error, 0);
  for (const p of state.topics.get('a')?.partitions ?? []) t.false(p.replicas.includes(3));
});

test('refuses duplicates, bad configs, internal names, and works only on the leader', async (t) => {
  const { controller, register, setLeader } = setup();
  await register(1);
  await controller.createTopics(createRequest('a', 1, 1));
  const results = await controller.createTopics({
    topics: [
      { name: 'a', partitions: 1, replicationFactor: 1, configs: {} },
      { name: '__mine', partitions: 1, replicationFactor: 1, configs: {} },
      { name: 'b', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'shred' } },
      { name: 'c', partitions: 1, replicationFactor: 1, configs: {} },
      { name: 'c', partitions: 1, replicationFactor: 1, configs: {} },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  });
  t.deepEqual(
    results.map((r) => r.error),
    [
      ErrorCode.TopicAlreadyExists.code,
      ErrorCode.InvalidTopic.code,
      ErrorCode.InvalidConfig.code,
      0,
      ErrorCode.InvalidRequest.code,
    ],
  );
  setLeader(false);
  await t.throwsAsync(controller.createTopics(createRequest('z', 1, 1)), {
    message: /NOT_CONTROLLER/,
  });
});

test('the offsets topic waits for enough brokers, then is created compacted', async (t) => {
  const { controller, register, state } = setup();
  await register(1);
  await controller.ensureInternalTopics();
  t.false(state.topics.has(offsetsTopicName));
  await register(2);
  await register(3);
  await controller.ensureInternalTopics();
  const topic = state.topics.get(offsetsTopicName);
  t.is(topic?.partitions.length, 4);
  t.is(topic?.configs['cleanup.policy'], 'compact');
  const [deleted] = await controller.deleteTopics({ names: [offsetsTopicName], timeoutMs: 100 });
  t.is(deleted?.error, ErrorCode.InvalidTopic.code);
});

test('leadership reports are recorded only when newer', async (t) => {
  const { controller, register, state } = setup();
  await register(1);
  await register(2);
  await controller.createTopics(createRequest('a', 1, 2));
  await controller.reportLeaderships(2, [{ groupId: 1, term: 3 }]);
  const before = state.appliedIndex;
  await controller.reportLeaderships(1, [{ groupId: 1, term: 2 }]);
  await controller.reportLeaderships(2, [{ groupId: 1, term: 3 }]);
  t.is(state.appliedIndex, before);
  t.is(state.partitionsByGroup.get(1)?.leader, 2);
});

test('internal requests: signed requests verify; tampered, stale or wrong-secret ones do not', (t) => {
  const secret = 'a-cluster-secret-123';
  const signed = signInternal({
    secret,
    api: Api.BrokerHeartbeat,
    nodeId: 2,
    nowMs: 5000,
    payload: { incarnation: 'i', leaderships: [{ term: 1, groupId: 4 }], reassignmentsDone: [] },
  });
  // The receiver sees fields in schema order, not the sender's: verification must not care.
  const reordered = {
    reassignmentsDone: [],
    leaderships: [{ groupId: 4, term: 1 }],
    incarnation: 'i',
    mac: signed.mac,
    timestampMs: signed.timestampMs,
    nodeId: 2,
  };
  t.is(
    verifyInternal({ secret, api: Api.BrokerHeartbeat, nowMs: 6000, request: reordered }),
    undefined,
  );
  t.regex(
    verifyInternal({
      secret: 'another-secret-xx',
      api: Api.BrokerHeartbeat,
      nowMs: 6000,
      request: signed,
    }) ?? '',
    /signature/,
  );
  t.regex(
    verifyInternal({
      secret,
      api: Api.BrokerHeartbeat,
      nowMs: 6000,
      request: { ...signed, nodeId: 3 },
    }) ?? '',
    /signature/,
  );
  t.regex(
    verifyInternal({ secret, api: Api.BrokerRegistration, nowMs: 6000, request: signed }) ?? '',
    /signature/,
  );
  t.regex(
    verifyInternal({ secret, api: Api.BrokerHeartbeat, nowMs: 500_000, request: signed }) ?? '',
    /too old/,
  );
});
