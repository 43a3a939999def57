/**
 * Coordinator errors inside a group answer's body (not only as frame errors) make the
 * client forget the coordinator, look it up again and retry there: scripted brokers where
 * broker 1 stops coordinating the group and broker 2 takes over.
 */
import { Api, ErrorCode } from '@tributary/protocol';
import test from 'ava';
import { Client } from '../../src/client.ts';
import { silentLogger } from '../../src/logger.ts';
import {
  answerOffsetCommit,
  type Exchange,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

async function setup(t: import('ava').ExecutionContext) {
  const brokers = [
    await startScriptedBroker({ nodeId: 1 }),
    await startScriptedBroker({ nodeId: 2 }),
  ];
  for (const b of brokers) t.teardown(() => b.close());
  const findCalls: number[] = [];
  const coordinatorAfter = (calls: number) => (calls <= 1 ? 1 : 2);
  const metadata = {
    clusterId: 'scripted',
    controllerId: 1,
    brokers: brokers.map((b, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: b.port })),
    topics: [
      {
        name: 't',
        error: 0,
        partitions: [
          { partition: 0, error: 0, leader: 1, leaderEpoch: 1, replicas: [1], learners: [] },
        ],
      },
    ],
  };
  const committedAt: number[] = [];
  brokers.forEach((broker, index) => {
    const nodeId = index + 1;
    broker.handle((exchange: Exchange) => {
      switch (exchange.frame.api) {
        case Api.Metadata:
          exchange.reply(metadata);
          return;
        case Api.FindCoordinator: {
          findCalls.push(nodeId);
          const coordinator = coordinatorAfter(findCalls.length);
          exchange.reply({
            error: 0,
            nodeId: coordinator,
            host: '127.0.0.1',
            port: brokers[coordinator - 1]!.port,
          });
          return;
        }
        case Api.DescribeGroups: {
          const groupId = (exchange.frame.body as { groupIds: string[] }).groupIds[0]!;
          const error = nodeId === 1 ? ErrorCode.NotCoordinator.code : 0;
          exchange.reply({
            groups: [
              {
                groupId,
                error,
                state: 'Empty',
                protocolType: '',
                protocol: '',
                generationId: 1,
                members: [],
              },
            ],
          });
          return;
        }
        case Api.OffsetCommit: {
          const error = nodeId === 1 ? ErrorCode.NotCoordinator.code : 0;
          if (error === 0) committedAt.push(nodeId);
          answerOffsetCommit(exchange, error);
          return;
        }
        default:
          exchange.replyError(ErrorCode.InvalidRequest.code);
      }
    });
  });
  const client = new Client({
    brokers: [`127.0.0.1:${brokers[0]!.port}`],
    logger: silentLogger,
    retry: { backoffMsInitial: 5, backoffMsMax: 20 },
  });
  return { client, findCalls, committedAt };
}

test('admin group calls follow a coordinator that moved', async (t) => {
  const { client, findCalls, committedAt } = await setup(t);
  const admin = client.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 3n }] });
  t.true(findCalls.length >= 2, 'the coordinator was looked up again');
  t.deepEqual(committedAt, [2]);
});

test('consumer commits follow a coordinator that moved', async (t) => {
  const { client, findCalls, committedAt } = await setup(t);
  const consumer = client.consumer({ groupId: 'g' });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.commitOffsets([{ topic: 't', partition: 0, offset: 5n }]);
  t.true(findCalls.length >= 2);
  t.deepEqual(committedAt, [2]);
});
