import { Api, type RequestOf } from '@tributary/protocol';
import test from 'ava';
import { Client } from '../../src/index.ts';
import { type ScriptedBroker, startScriptedBroker } from '../helpers/scripted-broker.ts';

const notController = 41;
const topicAlreadyExists = 36;
const unknownTopic = 3;

function metadata(broker: ScriptedBroker, topics: string[]) {
  return {
    clusterId: 'c',
    controllerId: 1,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port }],
    topics: topics.map((name) => ({
      name,
      error: 0,
      partitions: [
        { partition: 0, error: 0, leader: 1, leaderEpoch: 1, replicas: [1], learners: [] },
      ],
    })),
  };
}

// Regression: a per-topic NOT_CONTROLLER (the controller lost its leadership while the
// topic's creation was in flight) was thrown to the caller instead of being retried.
test('createTopics retries a topic whose answer was a retriable error; its creation counts', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  const asked: string[][] = [];
  broker.handle((exchange) => {
    const { api, body } = exchange.frame;
    if (api === Api.Metadata) exchange.reply(metadata(broker, ['a', 'b']));
    else if (api === Api.CreateTopics) {
      const names = (body as RequestOf<typeof Api.CreateTopics>).topics.map((x) => x.name);
      asked.push(names);
      // First answer: 'a' created, 'b' unknown (the controller lost leadership after
      // proposing it). Second: 'b' exists, since the first attempt did create it.
      exchange.reply({
        topics: names.map((name) =>
          asked.length === 1 && name === 'b'
            ? { name, error: notController, message: 'lost metadata leadership' }
            : { name, error: asked.length === 1 ? 0 : topicAlreadyExists },
        ),
      });
    }
  });
  const client = new Client({ clientId: 't', brokers: [`127.0.0.1:${broker.port}`] });
  const admin = client.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const created = await admin.createTopics({
    topics: [{ topic: 'a' }, { topic: 'b' }],
    timeoutMs: 20_000,
  });
  t.true(created);
  t.deepEqual(asked, [['a', 'b'], ['b']], 'only the undecided topic is asked again');
});

test('createTopics still fails at once on a final per-topic error', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  let calls = 0;
  broker.handle((exchange) => {
    const { api } = exchange.frame;
    if (api === Api.Metadata) exchange.reply(metadata(broker, []));
    else if (api === Api.CreateTopics) {
      calls += 1;
      exchange.reply({ topics: [{ name: 'a', error: 38, message: 'bad replication factor' }] });
    }
  });
  const client = new Client({ clientId: 't', brokers: [`127.0.0.1:${broker.port}`] });
  const admin = client.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await t.throwsAsync(admin.createTopics({ topics: [{ topic: 'a', replicationFactor: 3 }] }), {
    message: /bad replication factor/,
  });
  t.is(calls, 1);
});

test('deleteTopics retries a retriable per-topic error; unknown on the retry means deleted', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  const asked: string[][] = [];
  broker.handle((exchange) => {
    const { api, body } = exchange.frame;
    if (api === Api.Metadata) exchange.reply(metadata(broker, ['a']));
    else if (api === Api.DeleteTopics) {
      const names = [...(body as RequestOf<typeof Api.DeleteTopics>).names];
      asked.push(names);
      exchange.reply({
        topics: names.map((name) => ({
          name,
          error: asked.length === 1 ? notController : unknownTopic,
        })),
      });
    }
  });
  const client = new Client({ clientId: 't', brokers: [`127.0.0.1:${broker.port}`] });
  const admin = client.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.deleteTopics({ topics: ['a'], timeoutMs: 20_000 });
  t.deepEqual(asked, [['a'], ['a']]);
});
