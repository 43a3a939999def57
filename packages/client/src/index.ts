// @tributary/client: Client, Producer, Consumer, Admin (KafkaJS-shaped; offsets are bigint).

/** Producer acknowledgement levels: 0, 'leader', 'quorum' (default) or 'all'. */
/** What `admin.describeCluster()` answers. */
export type { Acks, DescribeClusterResponse as ClusterDescription } from '@tributary/protocol';
export type { CallOptions } from './abort.ts';
export { Admin } from './admin/admin.ts';
export type {
  GroupDescription,
  GroupMember,
  PartitionLag,
  ResetTarget,
} from './admin/group-admin.ts';
export type { NewTopic, PartitionDescription, TopicOffsets } from './admin/topic-admin.ts';
export { Client, type ClientOptions } from './client.ts';
export {
  Consumer,
  type ConsumerOptions,
  consumerDefaults,
  type RunOptions,
  type SeekTarget,
  type SubscribeOptions,
} from './consumer/consumer.ts';
export type { Batch, EachBatchPayload, EachMessagePayload } from './consumer/delivery.ts';
export type { ConsumerMessage } from './consumer/message.ts';
export type { RebalanceListener } from './consumer/subscription.ts';
export type { TopicPartition } from './consumer/topic-partition.ts';
export {
  AbortError,
  ClientClosedError,
  ConnectionError,
  IllegalStateError,
  InvalidArgumentError,
  MalformedResponseError,
  RequestTimeoutError,
  StaleMetadataError,
  TimeoutError,
  TributaryClientError,
  TributaryProtocolError,
} from './errors.ts';
export {
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
} from './group/assignors/index.ts';
export type {
  Assignor,
  AssignorInput,
  AssignorMember,
  RebalanceProtocol,
} from './group/assignors/types.ts';
export type { Assignment, Subscription, TopicPartitions } from './group/protocol-metadata.ts';
export type {
  ClientEvents,
  CommitEvent,
  ConnectionEvent,
  ErrorEvent,
  RebalanceEvent,
  RequestEvent,
} from './instrumentation.ts';
export { consoleLogger, type Logger, type LogLevel, silentLogger } from './logger.ts';
export type { Message, MessageHeaders } from './producer/message.ts';
export {
  type PartitionerArgs,
  type PartitionerFunction,
  partitionForKey,
} from './producer/partitioners.ts';
export {
  Producer,
  type ProducerBatchRecord,
  type ProducerOptions,
  type ProducerRecord,
  producerDefaults,
  type SendOptions,
} from './producer/producer.ts';
export type { RecordMetadata } from './producer/send-tracker.ts';
