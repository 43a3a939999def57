/**
 * One line of a history: an operation event in the Jepsen style. A client process invokes an
 * operation (`invoke`) and later completes it: `ok` (it happened), `fail` (it certainly did not
 * happen) or `info` (indeterminate: it may or may not have happened, e.g. a timeout). A process
 * has at most one operation outstanding; after an `info` it is never used again.
 *
 * `timeMs` is milliseconds since the start of the run: the start time on an invoke, the end
 * time on a completion. Values depend on `f`; fields that only a completion can know (the
 * offset of a send, the records of a poll) are optional on the invoke.
 */

/** A client process id (numbers) or the nemesis, which records faults in the same history. */
export type ProcessId = number | 'nemesis';
export type OperationType = 'invoke' | 'ok' | 'fail' | 'info';
export type CompletionType = Exclude<OperationType, 'invoke'>;
/** Record values are unique per run, so a value names the send that wrote it. */
export type RecordValue = string | number;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * `send`: invoke names topic (and partition if the producer chose it); ok adds the offset.
 * A *pipelined* send also names `pipelined` values: each goes to the same partition by a
 * further `send` call made right after the first, without awaiting it, so the producer must
 * write them in call order; ok then also gives their offsets, in that order. It is ok only
 * when every call was, fail only when every call definitely failed, and info otherwise.
 */
export interface SendValue {
  readonly topic: string;
  readonly partition?: number;
  readonly value: RecordValue;
  readonly offset?: number;
  readonly acks?: string;
  readonly pipelined?: readonly RecordValue[];
  readonly pipelinedOffsets?: readonly number[];
}

/** Every value a send names, in call order. */
export function sentValues(send: SendValue): RecordValue[] {
  return [send.value, ...(send.pipelined ?? [])];
}

export interface PolledRecord extends TopicPartition {
  readonly offset: number;
  readonly value: RecordValue;
}

/** `poll`: a consumer's next batch, in the order it was delivered. */
export interface PollValue {
  /** The topic a reader without a group polls (the log workload). */
  readonly topic?: string;
  readonly group?: string;
  readonly member?: string;
  readonly records?: readonly PolledRecord[];
}

export interface OffsetValue {
  readonly offset: number;
  readonly value: RecordValue;
}

/** `read-back`: one reader reads one partition from `offsetFirst`; `complete` when it reached the end. */
export interface ReadBackValue extends TopicPartition {
  readonly offsetFirst?: number;
  readonly records?: readonly OffsetValue[];
  readonly complete?: boolean;
}

/**
 * `commit`: a group member commits `offset` (the next offset to read) for a partition. The
 * invoke may leave the offset out when the member chooses it (what it has consumed); the ok
 * completion always carries it.
 */
export interface CommitValue extends TopicPartition {
  readonly group: string;
  readonly offset?: number;
  readonly member?: string;
  readonly generation?: number;
}

/** `fetch-offset`: reads a group's committed offset for a partition (on ok). */
export interface FetchOffsetValue extends TopicPartition {
  readonly group: string;
  readonly offset?: number;
}

/** `assign`: a member learned its partitions for one generation of its group. */
export interface AssignValue {
  readonly group: string;
  readonly generation: number;
  readonly member: string;
  readonly partitions: readonly TopicPartition[];
}

/**
 * `join`, `leave`, `crash`: a client process joins a consumer group, leaves it (LeaveGroup),
 * or stops as a crashed process would (no commit, no LeaveGroup). `member` is the member id
 * the group gave it, once known.
 */
export interface MemberValue {
  readonly group: string;
  readonly member?: string;
  /** The topic a `join` subscribes to. */
  readonly topic?: string;
}

export interface TopicValue {
  readonly topic: string;
  readonly partitions?: number;
  /**
   * On an acknowledged create or delete: whether the same client's next metadata read listed
   * the topic (absent when that read failed). Read your writes: a create must be listed, a
   * delete must not.
   */
  readonly readBack?: 'listed' | 'unlisted';
}

export interface TopicDescription {
  readonly topic: string;
  readonly partitions: number;
}

/** `describe-topics`: what one node says the topics are (on ok). */
export interface DescribeTopicsValue {
  readonly node: string;
  readonly topics?: readonly TopicDescription[];
}

/** `fault-start` / `fault-stop`: recorded by the nemesis (process `nemesis`). */
export interface FaultValue {
  readonly kind: string;
  readonly targets?: readonly string[];
  readonly detail?: string;
}

interface OperationBase {
  /** Dense position in the history, from 0, assigned by the recorder. */
  readonly index: number;
  readonly process: ProcessId;
  readonly type: OperationType;
  readonly timeMs: number;
  /** The node the client talked to, when it knows. */
  readonly node?: string;
  readonly error?: string;
}

export type SendOperation = OperationBase & { readonly f: 'send'; readonly value: SendValue };
export type PollOperation = OperationBase & { readonly f: 'poll'; readonly value: PollValue };
export type ReadBackOperation = OperationBase & {
  readonly f: 'read-back';
  readonly value: ReadBackValue;
};
export type CommitOperation = OperationBase & { readonly f: 'commit'; readonly value: CommitValue };
export type FetchOffsetOperation = OperationBase & {
  readonly f: 'fetch-offset';
  readonly value: FetchOffsetValue;
};
export type AssignOperation = OperationBase & { readonly f: 'assign'; readonly value: AssignValue };
export type MemberOperation = OperationBase & {
  readonly f: 'join' | 'leave' | 'crash';
  readonly value: MemberValue;
};
export type TopicOperation = OperationBase & {
  readonly f: 'create-topic' | 'delete-topic';
  readonly value: TopicValue;
};
export type DescribeTopicsOperation = OperationBase & {
  readonly f: 'describe-topics';
  readonly value: DescribeTopicsValue;
};
export type FaultOperation = OperationBase & {
  readonly f: 'fault-start' | 'fault-stop';
  readonly value: FaultValue;
};

export type Operation =
  | SendOperation
  | PollOperation
  | ReadBackOperation
  | CommitOperation
  | FetchOffsetOperation
  | AssignOperation
  | MemberOperation
  | TopicOperation
  | DescribeTopicsOperation
  | FaultOperation;

export type OperationF = Operation['f'];
export type History = readonly Operation[];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What a caller hands the recorder: everything but the index. */
export type OperationInput = DistributiveOmit<Operation, 'index'>;

export const operationFs: readonly OperationF[] = [
  'send',
  'poll',
  'read-back',
  'commit',
  'fetch-offset',
  'assign',
  'join',
  'leave',
  'crash',
  'create-topic',
  'delete-topic',
  'describe-topics',
  'fault-start',
  'fault-stop',
];

/** The key under which per-partition state is kept by checkers and reports. */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

/** Values are keyed by type as well, so the number 1 and the string "1" stay distinct. */
export function valueKey(value: RecordValue): string {
  return typeof value === 'number' ? `n:${value}` : `s:${value}`;
}
