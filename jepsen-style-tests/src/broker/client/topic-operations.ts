/**
 * Admin operations: `create-topic`, `delete-topic`, `fetch-offset`, and `describe-topics`,
 * which asks one named node for the topics it knows (its own copy of the metadata log),
 * waiting, within the operation's time, until that copy agrees with the controller's: the
 * metadata workload's check is that every node *ends* consistent.
 */
import { type Admin, Client, type ClientOptions } from '@tributary/client';
import type {
  DescribeTopicsValue,
  FetchOffsetValue,
  TopicDescription,
  TopicValue,
} from '../../history/operation.ts';
import type { Completion } from '../../runner/workload.ts';
import { answerMarginMs, metadataSettleIntervalMs } from './limits.ts';
import { errorCodeOf, type OperationCall, readFailed, writeFailed } from './outcomes.ts';
import { offsetNumber } from './record-values.ts';

export interface TopicOperationsOptions {
  readonly client: ClientOptions;
  /** Node name → client address (`host:port`), and broker id → node name. */
  readonly addresses: Readonly<Record<string, string>>;
  readonly nodeNames: Readonly<Record<number, string>>;
  readonly replicationFactor: number;
}

export class TopicOperations {
  constructor(private readonly options: TopicOperationsOptions) {}

  async create(admin: Admin, value: TopicValue, call: OperationCall): Promise<Completion> {
    try {
      // false means it existed already: an earlier attempt of this very call created it.
      await admin.createTopics({
        topics: [
          {
            topic: value.topic,
            numPartitions: value.partitions ?? 1,
            replicationFactor: this.options.replicationFactor,
          },
        ],
        ...call,
      });
      return { type: 'ok', value: await withReadBack(admin, value, call) };
    } catch (error) {
      return writeFailed(value, error);
    }
  }

  async delete(admin: Admin, value: TopicValue, call: OperationCall): Promise<Completion> {
    try {
      await admin.deleteTopics({ topics: [value.topic], ...call });
      return { type: 'ok', value: await withReadBack(admin, value, call) };
    } catch (error) {
      // Unknown: it is absent, which is all a delete promises (an earlier attempt deleted it).
      if (errorCodeOf(error) === 'UNKNOWN_TOPIC_OR_PARTITION')
        return { type: 'ok', value, error: 'already absent' };
      return writeFailed(value, error);
    }
  }

  async fetchOffset(
    admin: Admin,
    value: FetchOffsetValue,
    call: OperationCall,
  ): Promise<Completion> {
    try {
      const topics = await admin.fetchOffsets({
        groupId: value.group,
        topics: [value.topic],
        ...call,
      });
      const found = topics
        .find((t) => t.topic === value.topic)
        ?.partitions.find((p) => p.partition === value.partition);
      const { offset: _none, ...rest } = value;
      if (found === undefined || found.offset < 0n) return { type: 'ok', value: rest };
      return { type: 'ok', value: { ...rest, offset: offsetNumber(found.offset) } };
    } catch (error) {
      return readFailed(value, error);
    }
  }

  /** The node's topics once they agree with the controller's, or as they are at the deadline. */
  async describe(
    admin: Admin,
    value: DescribeTopicsValue,
    call: OperationCall,
    deadline: number,
  ): Promise<Completion> {
    const address = this.options.addresses[value.node];
    if (address === undefined) return readFailed(value, `unknown node ${value.node}`);
    let mine: TopicDescription[];
    try {
      for (;;) {
        mine = await this.nodeView(address, call);
        const reference = await this.controllerView(admin, call);
        const settled = reference !== undefined && sameTopics(mine, reference);
        if (settled || Date.now() + metadataSettleIntervalMs + answerMarginMs * 4 > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, metadataSettleIntervalMs));
      }
    } catch (error) {
      return readFailed(value, error);
    }
    return { type: 'ok', value: { node: value.node, topics: mine }, node: value.node };
  }

  private async controllerView(
    admin: Admin,
    call: OperationCall,
  ): Promise<TopicDescription[] | undefined> {
    const { controllerId } = await admin.describeCluster(call);
    const name = this.options.nodeNames[controllerId];
    const address = name === undefined ? undefined : this.options.addresses[name];
    return address === undefined ? undefined : this.nodeView(address, call);
  }

  /**
   * Asks exactly one node: a client whose only bootstrap address is that node, checked
   * afterwards to have opened no connection anywhere else.
   */
  private async nodeView(address: string, call: OperationCall): Promise<TopicDescription[]> {
    const client = new Client({ ...this.options.client, brokers: [address] });
    const connected = new Set<string>();
    client.on('connect', (event) => connected.add(`${event.host}:${event.port}`));
    const admin = client.admin();
    try {
      await admin.connect(call);
      const { topics } = await admin.fetchTopicMetadata(call);
      const elsewhere = [...connected].filter((a) => a !== address);
      if (elsewhere.length > 0) throw new Error(`asked ${address} but reached ${elsewhere}`);
      return topics
        .map((t) => ({ topic: t.name, partitions: t.partitions.length }))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}

function sameTopics(a: readonly TopicDescription[], b: readonly TopicDescription[]): boolean {
  return (
    a.length === b.length &&
    a.every((t, i) => t.topic === b[i]?.topic && t.partitions === b[i]?.partitions)
  );
}

/**
 * The value with `readBack`: whether this client's next metadata read, from whichever broker
 * it asks, lists the topic it has just created or deleted. A read that fails leaves it out.
 */
async function withReadBack(
  admin: Admin,
  value: TopicValue,
  call: OperationCall,
): Promise<TopicValue> {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [value.topic], ...call });
    const listed = topics.some((t) => t.name === value.topic && t.partitions.length > 0);
    return { ...value, readBack: listed ? 'listed' : 'unlisted' };
  } catch (error) {
    if (errorCodeOf(error) === 'UNKNOWN_TOPIC_OR_PARTITION')
      return { ...value, readBack: 'unlisted' };
    return value;
  }
}
