/** Public API of @tributary/streams. */

export { KGroupedStream } from './dsl/kgrouped-stream.ts';
export { KGroupedTable } from './dsl/kgrouped-table.ts';
export { KStream } from './dsl/kstream.ts';
export { KTable, Suppressed } from './dsl/ktable.ts';
export type {
  Consumed,
  Grouped,
  Joined,
  KeyValuePair,
  Materialized,
  Produced,
  Repartitioned,
  StreamJoined,
} from './dsl/options.ts';
export { type StoreBuilder, Stores } from './dsl/stores.ts';
export { StreamsBuilder, type StreamsBuilderOptions } from './dsl/streams-builder.ts';
export { SessionWindowedKStream, TimeWindowedKStream } from './dsl/windowed-kstream.ts';
export { MissingSourceTopicError } from './engine/partition-counts.ts';
export type {
  Cancellable,
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  PunctuationType,
} from './engine/processor.ts';
export type {
  Change,
  RecordContext,
  RecordHeader,
  RecordHeaders,
  StreamRecord,
} from './engine/record.ts';
export { type TopicRef, Topology } from './engine/topology.ts';
export {
  CoPartitioningError,
  type CopartitionMismatch,
  IllegalStateError,
  InvalidArgumentError,
  SerdeError,
  StateCorruptionError,
  StreamsError,
  TopologyError,
} from './errors.ts';
export type { ClientPort } from './runtime/client-port.ts';
export { MissingOutputTopicError } from './runtime/internal-topics.ts';
export type { KeyValueQuery, WindowQuery } from './runtime/queries.ts';
export {
  Streams,
  type StreamsLogger,
  type StreamsOptions,
  type StreamsState,
} from './runtime/streams.ts';
export { type Serde, Serdes } from './serdes.ts';
export type { KeyValue, ReadOnlyKeyValueStore } from './state/key-value-store.ts';
export type { ReadOnlyWindowStore, WindowValue } from './state/window-view.ts';
export { TestInputTopic, TestOutputTopic, type TestRecord } from './test-driver/test-topics.ts';
export {
  TopologyTestDriver,
  type TopologyTestDriverOptions,
} from './test-driver/topology-test-driver.ts';
export { type Window, type Windowed, type WindowedSerde, windowedSerde } from './windowed.ts';
export { JoinWindows } from './windows/join-windows.ts';
export { SessionWindows } from './windows/session-windows.ts';
export { SlidingWindows } from './windows/sliding-windows.ts';
export { TimeWindows } from './windows/time-windows.ts';
