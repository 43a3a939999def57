/**
 * Enrichment join: each order (keyed by customer id) is joined with the customer's current
 * record from a compacted `customers` topic, read as a table. Both topics must have the
 * same number of partitions (co-partitioning); otherwise start() fails with a
 * CoPartitioningError naming them.
 *
 *   npx tsx packages/streams/examples/order-enrichment.ts [--brokers host:port,...]
 */
import { Serdes, StreamsBuilder } from '../src/index.ts';
import {
  createTopics,
  exampleClient,
  isMain,
  readRecords,
  runUntil,
  waitFor,
} from './example-runner.ts';

export interface Order {
  readonly orderId: string;
  readonly amount: number;
}

export interface Customer {
  readonly name: string;
  readonly tier: 'gold' | 'standard';
}

export interface EnrichedOrder extends Order {
  readonly customer: string;
  readonly tier: Customer['tier'];
}

export function orderEnrichmentTopology(
  orders = 'orders',
  customers = 'customers',
  output = 'orders-enriched',
) {
  const builder = new StreamsBuilder();
  const customerTable = builder.table<string, Customer>(
    customers,
    { keySerde: Serdes.string(), valueSerde: Serdes.json<Customer>() },
    { storeName: 'customers-store' },
  );
  builder
    .stream<string, Order>(orders, { keySerde: Serdes.string(), valueSerde: Serdes.json<Order>() })
    .join(
      customerTable,
      (order, customer): EnrichedOrder => ({
        ...order,
        customer: customer.name,
        tier: customer.tier,
      }),
    )
    .filter((_customerId, order) => order.amount > 0)
    .to(output, { keySerde: Serdes.string(), valueSerde: Serdes.json<EnrichedOrder>() });
  return builder.build();
}

async function main(): Promise<void> {
  const client = exampleClient('order-enrichment-example');
  await createTopics(client, [
    { topic: 'orders', partitions: 3 },
    { topic: 'customers', partitions: 3, compacted: true },
    { topic: 'orders-enriched', partitions: 3 },
  ]);
  const producer = client.producer();
  await producer.connect();
  const json = (v: unknown) => JSON.stringify(v);
  await runUntil({
    topology: orderEnrichmentTopology(),
    applicationId: 'order-enrichment-example',
    client,
    feed: async (streams) => {
      await producer.send({
        topic: 'customers',
        messages: [
          { key: 'c1', value: json({ name: 'Ada', tier: 'gold' }) },
          { key: 'c2', value: json({ name: 'Grace', tier: 'standard' }) },
        ],
      });
      // Orders are looked up in the table as they arrive: load it first (an order whose
      // customer is not there yet is dropped by this inner join; leftJoin would keep it).
      await waitFor(
        'the customers table',
        () => streams.keyValueStore('customers-store').approximateNumEntries() >= 2,
      );
      await producer.send({
        topic: 'orders',
        messages: [
          { key: 'c1', value: json({ orderId: 'o1', amount: 42 }) },
          { key: 'c2', value: json({ orderId: 'o2', amount: 7 }) },
          { key: 'c3', value: json({ orderId: 'o3', amount: 5 }) }, // unknown customer
        ],
      });
    },
    // 2 customers and 3 orders processed: the enriched orders have been sent.
    result: (streams) => (streams.metrics.recordsProcessed >= 5 ? true : undefined),
  });
  for (const r of await readRecords(client, 'orders-enriched', 2))
    console.log(`${r.key}\t${r.value}`);
  await producer.disconnect();
}

if (isMain(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
