/**
 * The part of @tributary/client's public API the runtime uses, written down structurally:
 * the application hands `Streams` its `Client` (`new Client({ clientId, brokers })`), and
 * anything with these shapes works. Offsets are bigint, as in the client.
 */

export type Bytes = Buffer | Uint8Array | string;

export interface PortHeader {
  readonly key: string;
  readonly value: Bytes | null;
}

export interface PortMessage {
  readonly key?: Bytes | null;
  readonly value: Bytes | null;
  readonly partition?: number;
  readonly headers?: readonly PortHeader[];
  readonly timestamp?: number;
}

export interface PortRecordMetadata {
  readonly topicName: string;
  readonly partition: number;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
}

export interface ProducerPort {
  connect(): Promise<void>;
  sendBatch(batch: {
    topicMessages: readonly { topic: string; messages: readonly PortMessage[] }[];
  }): Promise<PortRecordMetadata[]>;
  flush?(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | Buffer[]>>;
}

export interface PortTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PortTopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** The client's `Assignor`: runs on the group leader. */
export interface AssignorPort {
  readonly name: string;
  readonly protocol: 'eager' | 'cooperative';
  assign(input: {
    readonly members: readonly {
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      readonly subscription: {
        readonly topics: readonly string[];
        readonly ownedPartitions: readonly PortTopicPartitions[];
        /** The generation `ownedPartitions` were owned in (-1: none). */
        readonly generationId: number;
      };
    }[];
    readonly partitionsPerTopic: ReadonlyMap<string, number>;
  }): Map<string, PortTopicPartitions[]>;
}

export interface ConsumerOptionsPort {
  readonly groupId?: string;
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly partitionAssigners?: readonly AssignorPort[];
  readonly autoOffsetReset?: 'earliest' | 'latest' | 'none';
  readonly maxWaitMs?: number;
  readonly maxBytesPerPartition?: number;
  readonly prefetchBytesMax?: number;
  readonly rebalanceListener?: {
    onPartitionsAssigned?(partitions: PortTopicPartition[]): Promise<void> | void;
    onPartitionsRevoked?(partitions: PortTopicPartition[]): Promise<void> | void;
    onPartitionsLost?(partitions: PortTopicPartition[]): Promise<void> | void;
  };
}

export interface BatchPort {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly ConsumedMessage[];
}

export interface ConsumerPort {
  connect(): Promise<void>;
  subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): void;
  assign(
    partitions: readonly { topic: string; partitions?: readonly number[] }[],
    options?: { fromBeginning?: boolean },
  ): void;
  run(options: {
    autoCommit?: boolean;
    eachBatchAutoResolve?: boolean;
    eachBatch: (payload: { batch: BatchPort }) => Promise<void>;
  }): Promise<void>;
  messages(options?: {
    signal?: AbortSignal;
    autoCommit?: boolean;
  }): AsyncIterable<ConsumedMessage>;
  seek(target: { topic: string; partition: number; offset: bigint }): void;
  position(topic: string, partition: number): bigint;
  commitOffsets(
    offsets: readonly { topic: string; partition: number; offset: bigint }[],
  ): Promise<void>;
  stop(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface AdminPort {
  connect(): Promise<void>;
  createTopics(options: {
    topics: readonly {
      topic: string;
      numPartitions?: number;
      replicationFactor?: number;
      configEntries?: readonly { name: string; value: string }[];
    }[];
    waitForLeaders?: boolean;
    timeoutMs?: number;
  }): Promise<boolean>;
  fetchTopicMetadata(options: { topics?: readonly string[] }): Promise<{
    topics: readonly { name: string; partitions: readonly { partitionId: number }[] }[];
  }>;
  fetchTopicOffsets(
    topic: string,
  ): Promise<readonly { partition: number; high: bigint; low: bigint }[]>;
  fetchOffsets(options: {
    groupId: string;
    topics?: readonly string[];
  }): Promise<
    readonly { topic: string; partitions: readonly { partition: number; offset: bigint }[] }[]
  >;
  describeCluster?(): Promise<{ brokers: readonly unknown[] }>;
  disconnect(): Promise<void>;
}

export interface ClientPort {
  producer(options?: { idempotent?: boolean; lingerMs?: number }): ProducerPort;
  consumer(options: ConsumerOptionsPort): ConsumerPort;
  admin(): AdminPort;
}
