/**
 * Read-your-writes metadata across brokers: a topic change's answer names the metadata index
 * it was applied at, and a Metadata request naming that index is answered by any broker only
 * once its copy includes the change. A minimum no broker can reach is answered stale after
 * the broker's bounded wait, never hangs, and leaves the node serving.
 */
import { Api, ErrorCode, type ProtocolError } from '@tributary/protocol';
import test from 'ava';
import { startDrivenCluster } from './driven-cluster.ts';
import { retry } from './protocol-driver.ts';

test('metadata asked at a creation index lists the topic on every broker; an unreachable index is answered stale', async (t) => {
  const { cluster, driver } = await startDrivenCluster(t, { name: 'metadata-fresh', nodes: 3 });
  const brokers = cluster.bootstrap;
  for (let round = 0; round < 5; round += 1) {
    const name = `fresh-${round}`;
    const answer = await retry(`create ${name}`, async () => {
      const controller = await driver.controllerAddress();
      if (!controller) return undefined;
      return driver.client.request(controller, Api.CreateTopics, {
        topics: [{ name, partitions: 2, replicationFactor: 3, configs: {} }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
    });
    t.is(answer.topics[0]?.error, ErrorCode.None.code, answer.topics[0]?.message);
    const index = answer.metadataIndex;
    t.true(index !== undefined && index > 0, `creation answered at index ${index}`);
    // At once, on every broker: the followers' copies may trail the controller's.
    const seen = await Promise.all(
      brokers.map((address) =>
        driver.client.request(address, Api.Metadata, {
          topics: [name],
          minMetadataIndex: index as number,
        }),
      ),
    );
    for (const [i, metadata] of seen.entries()) {
      t.true((metadata.metadataIndex ?? 0) >= (index as number), `broker ${brokers[i]}`);
      t.is(metadata.topics[0]?.error, ErrorCode.None.code, `broker ${brokers[i]} lists ${name}`);
      t.is(metadata.topics[0]?.partitions.length, 2);
    }
  }

  // A minimum far ahead of the log: answered after the broker's wait, stale, and the node
  // keeps answering.
  const [first] = brokers as [string];
  const startedMs = Date.now();
  const stale = await driver.client.request(
    first,
    Api.Metadata,
    { topics: [], minMetadataIndex: 1e12 },
    10_000,
  );
  t.true(Date.now() - startedMs >= 900, 'the broker waited for its copy first');
  t.true((stale.metadataIndex ?? 0) < 1e12);
  const fine = await driver.client.request(first, Api.Metadata, { topics: [] });
  t.true((fine.metadataIndex ?? 0) > 0);
  // The node's metrics show its index and the read it answered stale.
  const firstNode = cluster.nodes.find((n) => first.endsWith(`:${n.clientPort}`));
  const metrics = await (await fetch(`http://127.0.0.1:${firstNode?.metricsPort}/metrics`)).text();
  const sample = (line: string) =>
    Number(
      metrics
        .split('\n')
        .find((l) => l.startsWith(`${line} `))
        ?.split(' ')[1],
    );
  t.true(sample('tributary_metadata_applied_index') >= (fine.metadataIndex ?? 0));
  t.true(sample('tributary_metadata_read_waits_total{outcome="stale"}') >= 1);

  // Bad input: a negative or fractional minimum is refused as an invalid request.
  for (const minMetadataIndex of [-1, 1.5]) {
    const error = await t.throwsAsync<ProtocolError>(
      driver.client.request(first, Api.Metadata, { topics: [], minMetadataIndex }),
    );
    t.is(error?.code, ErrorCode.InvalidRequest.code, String(error));
  }
  const after = await driver.client.request(first, Api.Metadata, { topics: null });
  t.true(after.topics.length >= 5, 'the node still serves metadata');
});
