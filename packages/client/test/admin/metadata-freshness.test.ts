/**
 * Read-your-writes metadata: after this client changed topics, no metadata answer older than
 * the change is accepted, from whichever broker it comes (see Cluster.requestMetadata).
 */
import { Api, type RequestOf } from '@tributary/protocol';
import test, { type ExecutionContext } from 'ava';
import { Client } from '../../src/index.ts';
import {
  type ScriptedBroker,
  singleBrokerMetadata,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

function metadata(broker: ScriptedBroker, topics: string[], metadataIndex: number) {
  const counts = Object.fromEntries(topics.map((name) => [name, 1]));
  return { ...singleBrokerMetadata(broker, counts), metadataIndex };
}

/** An admin connected to the scripted broker, retrying quickly; disconnected after the test. */
async function connectedAdmin(t: ExecutionContext, broker: ScriptedBroker) {
  const client = new Client({
    clientId: 't',
    brokers: [`127.0.0.1:${broker.port}`],
    retry: { backoffMsInitial: 10, backoffMsMax: 20 },
  });
  const admin = client.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return admin;
}

test('metadata read after a topic is created asks for its index, and a staler answer is asked again', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  const asked: (number | undefined)[] = [];
  let created = false;
  let staleAnswers = 0;
  broker.handle((exchange) => {
    const { api, body } = exchange.frame;
    if (api === Api.Metadata) {
      const wanted = (body as RequestOf<typeof Api.Metadata>).minMetadataIndex;
      asked.push(wanted);
      if (!created) exchange.reply(metadata(broker, [], 10));
      else if (staleAnswers < 2) {
        // A broker whose copy still trails the creation (it did not list the topic).
        staleAnswers += 1;
        exchange.reply(metadata(broker, [], 10));
      } else exchange.reply(metadata(broker, ['fresh'], 12));
    } else if (api === Api.CreateTopics) {
      created = true;
      exchange.reply({ topics: [{ name: 'fresh', error: 0 }], metadataIndex: 12 });
    }
  });
  const admin = await connectedAdmin(t, broker);
  t.true(await admin.createTopics({ topics: [{ topic: 'fresh' }], waitForLeaders: false }));
  const described = await admin.fetchTopicMetadata({ topics: ['fresh'] });
  t.deepEqual(
    described.topics.map((topic) => topic.name),
    ['fresh'],
  );
  t.is(staleAnswers, 2);
  const afterCreate = asked.slice(asked.indexOf(12));
  t.deepEqual(afterCreate, [12, 12, 12], 'every read after the creation asked for index 12');
  // A later answer at the same index is fine; the client never goes back below it.
  const again = await admin.fetchTopicMetadata({ topics: ['fresh'] });
  t.is(again.topics.length, 1);
  t.is(asked.at(-1), 12);
});

test('a stale metadata answer that never catches up ends in a retriable STALE_METADATA error', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  broker.handle((exchange) => {
    const { api } = exchange.frame;
    if (api === Api.Metadata) exchange.reply(metadata(broker, ['t'], 3));
    else if (api === Api.DeleteTopics)
      exchange.reply({ topics: [{ name: 't', error: 0 }], metadataIndex: 9 });
  });
  const admin = await connectedAdmin(t, broker);
  await admin.deleteTopics({ topics: ['t'] });
  const error = await t.throwsAsync(admin.fetchTopicMetadata({ topics: ['t'], timeoutMs: 300 }));
  const cause = (error as { cause?: { code?: string; retriable?: boolean } }).cause ?? error;
  t.is((cause as { code?: string }).code, 'STALE_METADATA', String(error));
});

test('createTopics of a topic that exists resolves false at once, even when a partition of it has no leader', async (t) => {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  broker.handle((exchange) => {
    const { api } = exchange.frame;
    if (api === Api.Metadata) {
      const answer = metadata(broker, ['x'], 5);
      // The partition's leader is down.
      const [topic] = answer.topics;
      const partitions = [{ ...topic!.partitions[0]!, error: 5, leader: -1 }];
      exchange.reply({ ...answer, topics: [{ ...topic!, partitions }] });
    } else if (api === Api.CreateTopics) {
      exchange.reply({ topics: [{ name: 'x', error: 36 }], metadataIndex: 5 });
    }
  });
  const admin = await connectedAdmin(t, broker);
  t.false(await admin.createTopics({ topics: [{ topic: 'x' }], timeoutMs: 3_000 }));
});
