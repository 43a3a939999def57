/**
 * The examples of docs/streams.md, run with the TopologyTestDriver (the same topologies
 * the example programs run against a cluster), so the documented results stay true.
 */
import test from 'ava';
import { orderEnrichmentTopology } from '../examples/order-enrichment.ts';
import { fiveMinutes, pageViewTopology } from '../examples/page-views.ts';
import { wordCountTopology } from '../examples/word-count.ts';
import { Serdes, TopologyTestDriver, type Windowed, windowedSerde } from '../src/index.ts';

const s = Serdes.string();

test('word count example', (t) => {
  const driver = new TopologyTestDriver(wordCountTopology());
  const lines = driver.createInputTopic('text-lines', s, s);
  lines.pipeValue('all streams lead to the log');
  lines.pipeValue('The log is the truth');
  const counts = driver.createOutputTopic('word-counts', s, Serdes.number()).readKeyValuesToMap();
  t.is(counts.get('the'), 3);
  t.is(counts.get('log'), 2);
  t.is(counts.get('truth'), 1);
  driver.close();
});

test('page views per user in 5-minute windows example', (t) => {
  const driver = new TopologyTestDriver(pageViewTopology());
  const views = driver.createInputTopic('page-views', s, Serdes.json());
  const out = driver.createOutputTopic('page-views-per-user', windowedSerde(s), Serdes.number());
  views.pipeInput(null, { user: 'ann', page: '/' }, 1_000);
  views.pipeInput(null, { user: 'bob', page: '/docs' }, 2_000);
  views.pipeInput(null, { user: 'ann', page: '/docs' }, 200_000);
  views.pipeInput(null, { user: 'ann', page: '/blog' }, 310_000); // next window
  t.true(out.isEmpty(), 'the first window is still open (grace 1 min)');
  views.pipeInput(null, { user: 'bob', page: '/' }, fiveMinutes + 60_000); // stream time closes [0, 5 min)
  const finals = out
    .readRecordsToList()
    .map(
      (r) =>
        `${(r.key as Windowed<string>).key}@${(r.key as Windowed<string>).window.start}=${r.value}`,
    );
  t.deepEqual(finals, ['ann@0=2', 'bob@0=1']);
  driver.close();
});

test('order enrichment example', (t) => {
  const driver = new TopologyTestDriver(orderEnrichmentTopology(), {
    partitions: { orders: 3, customers: 3 },
  });
  const customers = driver.createInputTopic('customers', s, Serdes.json());
  const orders = driver.createInputTopic('orders', s, Serdes.json());
  customers.pipeInput('c1', { name: 'Ada', tier: 'gold' });
  customers.pipeInput('c2', { name: 'Grace', tier: 'standard' });
  orders.pipeInput('c1', { orderId: 'o1', amount: 42 });
  orders.pipeInput('c2', { orderId: 'o2', amount: 7 });
  orders.pipeInput('c3', { orderId: 'o3', amount: 5 });
  orders.pipeInput('c1', { orderId: 'o4', amount: 0 });
  t.deepEqual(driver.createOutputTopic('orders-enriched', s, Serdes.json()).readKeyValuesToList(), [
    { key: 'c1', value: { orderId: 'o1', amount: 42, customer: 'Ada', tier: 'gold' } },
    { key: 'c2', value: { orderId: 'o2', amount: 7, customer: 'Grace', tier: 'standard' } },
  ]);
  t.throws(
    () =>
      new TopologyTestDriver(orderEnrichmentTopology(), {
        partitions: { orders: 3, customers: 2 },
      }),
    { code: 'COPARTITIONING_ERROR' },
  );
  driver.close();
});
