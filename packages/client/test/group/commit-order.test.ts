/**
 * Commits of one consumer reach the coordinator in the order they were made: a commit
 * retried after a refusal must not land after a later commit, or the group's committed
 * offset goes back. A scripted broker refuses the first commit it sees with a retriable
 * error.
 */
import { Api, ErrorCode } from '@tributary/protocol';
import test from 'ava';
import { Client } from '../../src/client.ts';
import type { TributaryClientError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import {
  answerOffsetCommit,
  type Exchange,
  singleBrokerCoordinator,
  singleBrokerMetadata,
  startScriptedBroker,
} from '../helpers/scripted-broker.ts';

async function setup(t: import('ava').ExecutionContext) {
  const broker = await startScriptedBroker({ nodeId: 1 });
  t.teardown(() => broker.close());
  /** Offsets of partition 0 in the order the coordinator accepted them. */
  const accepted: number[] = [];
  let refusals = 1;
  broker.handle((exchange: Exchange) => {
    switch (exchange.frame.api) {
      case Api.Metadata:
        exchange.reply(singleBrokerMetadata(broker, { t: 1 }));
        return;
      case Api.FindCoordinator:
        exchange.reply(singleBrokerCoordinator(broker));
        return;
      case Api.OffsetCommit: {
        const refuse = refusals > 0;
        refusals -= 1;
        const error = refuse ? ErrorCode.CoordinatorLoadInProgress.code : 0;
        const asked = answerOffsetCommit(exchange, error);
        if (!refuse) accepted.push(...asked.map((o) => o.offset));
        return;
      }
      default:
        exchange.replyError(ErrorCode.InvalidRequest.code);
    }
  });
  const client = new Client({
    brokers: [`127.0.0.1:${broker.port}`],
    logger: silentLogger,
    retry: { backoffMsInitial: 20, backoffMsMax: 40 },
  });
  const consumer = client.consumer({ groupId: 'g' });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  return { consumer, accepted };
}

test('a commit retried after a refusal is not overtaken by a later commit', async (t) => {
  const { consumer, accepted } = await setup(t);
  const first = consumer.commitOffsets([{ topic: 't', partition: 0, offset: 5n }]);
  const second = consumer.commitOffsets([{ topic: 't', partition: 0, offset: 9n }]);
  await Promise.all([first, second]);
  t.deepEqual(accepted, [5, 9]);
});

test('a commit aborted while waiting its turn drops out; the next still follows the earlier', async (t) => {
  const { consumer, accepted } = await setup(t);
  const first = consumer.commitOffsets([{ topic: 't', partition: 0, offset: 5n }]);
  const controller = new AbortController();
  const aborted = consumer.commitOffsets([{ topic: 't', partition: 0, offset: 7n }], {
    signal: controller.signal,
  });
  const third = consumer.commitOffsets([{ topic: 't', partition: 0, offset: 9n }]);
  controller.abort();
  const error = await t.throwsAsync(aborted);
  t.is((error as TributaryClientError).code, 'ABORTED');
  await Promise.all([first, third]);
  t.deepEqual(accepted, [5, 9]);
});
