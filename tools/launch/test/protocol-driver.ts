/**
 * Test helper: drives a real cluster through the wire protocol directly (no client
 * library), so broker behaviour is tested on its own terms: leader discovery by Metadata,
 * produce with retries on retriable errors, fetch from the start to the high watermark.
 */
import { InternalClient } from '@tributary/broker/internal';
import {
  Api,
  decodeRecords,
  encodeRecordBatch,
  errorCodeInfo,
  ProtocolError,
  type RecordInput,
} from '@tributary/protocol';

export class ProtocolDriver {
  readonly client = new InternalClient();
  constructor(private bootstrap: string[]) {}

  setBootstrap(addresses: string[]): void {
    this.bootstrap = addresses;
  }

  async anyBroker<T>(call: (address: string) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const address of this.bootstrap) {
      try {
        return await call(address);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  async leaderAddress(topic: string, partition: number): Promise<string | undefined> {
    const metadata = await this.anyBroker((a) =>
      this.client.request(a, Api.Metadata, { topics: [topic] }, 3000),
    );
    const p = metadata.topics[0]?.partitions[partition];
    const broker = metadata.brokers.find((b) => b.nodeId === p?.leader);
    return broker ? `${broker.host}:${broker.port}` : undefined;
  }

  /** The topic's partitions as any broker's metadata describes them (empty if unknown). */
  async partitions(topic: string) {
    const metadata = await this.anyBroker((a) =>
      this.client.request(a, Api.Metadata, { topics: [topic] }),
    );
    return metadata.topics[0]?.partitions ?? [];
  }

  async controllerAddress(): Promise<string | undefined> {
    const metadata = await this.anyBroker((a) =>
      this.client.request(a, Api.Metadata, { topics: [] }, 3000),
    );
    const broker = metadata.brokers.find((b) => b.nodeId === metadata.controllerId);
    return broker ? `${broker.host}:${broker.port}` : undefined;
  }

  async createTopic(
    name: string,
    partitions: number,
    replicationFactor: number,
    configs: Record<string, string> = {},
  ) {
    return retry(`create ${name}`, async () => {
      const controller = await this.controllerAddress();
      if (!controller) return undefined;
      const response = await this.client.request(controller, Api.CreateTopics, {
        topics: [{ name, partitions, replicationFactor, configs }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      return response.topics[0];
    });
  }

  /** Produces one batch, retrying retriable errors at the current leader; the acked base offset. */
  async produce(
    topic: string,
    partition: number,
    records: RecordInput[],
    options: { acks?: 'leader' | 'quorum' | 'all'; batch?: Uint8Array; deadlineMs?: number } = {},
  ): Promise<number> {
    const batch = options.batch ?? encodeRecordBatch(records);
    return retry(
      `produce to ${topic}/${partition}`,
      async () => {
        const leader = await this.leaderAddress(topic, partition);
        if (!leader) return undefined;
        const response = await this.client.request(
          leader,
          Api.Produce,
          {
            acks: options.acks ?? 'quorum',
            timeoutMs: 5000,
            topics: [{ name: topic, partitions: [{ partition, records: batch }] }],
          },
          8000,
        );
        const result = response.topics[0]?.partitions[0];
        if (!result) return undefined;
        if (result.error === 0) return result.baseOffset;
        const info = errorCodeInfo(result.error);
        if (info.retriable) return undefined;
        throw new ProtocolError(info, result.message);
      },
      options.deadlineMs ?? 60_000,
    );
  }

  /**
   * An idempotent sender for one partition: a producer id from the cluster, then each call
   * sends its records as one batch with the next sequence, resending the same bytes on every
   * retry, so a retry after a lost answer never writes the records twice.
   */
  async idempotentSender(
    topic: string,
    partition: number,
    options: { acks?: 'leader' | 'quorum' | 'all' } = {},
  ): Promise<(records: RecordInput[]) => Promise<number>> {
    const producer = await retry('producer id', () =>
      this.anyBroker((a) =>
        this.client.request(a, Api.InitProducerId, { producerId: -1, producerEpoch: -1 }, 5000),
      ),
    );
    let sequence = 0;
    return (records) => {
      const batch = encodeRecordBatch(records, {
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        baseSequence: sequence,
      });
      sequence += records.length;
      return this.produce(topic, partition, records, { ...options, batch });
    };
  }

  /** Every record value of a partition, from its start to its high watermark. */

  async readAll(topic: string, partition: number): Promise<{ offset: number; value: string }[]> {
    return retry(`read ${topic}/${partition}`, async () => {
      const leader = await this.leaderAddress(topic, partition);
      if (!leader) return undefined;
      const out: { offset: number; value: string }[] = [];
      let offset = 0;
      for (;;) {
        const response = await this.client.request(
          leader,
          Api.Fetch,
          {
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            topics: [{ name: topic, partitions: [{ partition, offset, maxBytes: 1 << 20 }] }],
          },
          8000,
        );
        const p = response.topics[0]?.partitions[0];
        if (p?.error !== 0) return undefined;
        const records = p.records;
        if (records.length === 0) return out;
        let position = 0;
        while (position < records.length) {
          const size =
            new DataView(records.buffer, records.byteOffset + position + 8, 4).getInt32(0) + 12;
          for (const r of decodeRecords(records.subarray(position, position + size))) {
            out.push({ offset: r.offset, value: Buffer.from(r.value ?? []).toString() });
            offset = r.offset + 1;
          }
          position += size;
        }
        if (offset >= p.highWatermark) return out;
      }
    });
  }

  close(): void {
    this.client.close();
  }
}

export async function retry<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof ProtocolError && !error.retriable) throw error;
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what} (last error: ${String(lastError)})`);
}
