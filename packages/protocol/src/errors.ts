/**
 * The error-code table: one place from which every protocol error is named, numbered and
 * classified. Numbers follow Kafka's where Kafka has the same error, so a Kafka-protocol
 * front end can later map them one to one.
 */

export interface ErrorCodeInfo {
  readonly code: number;
  readonly name: string;
  /** Whether retrying the same request (after a metadata refresh or backoff) may succeed. */
  readonly retriable: boolean;
  readonly description: string;
}

function entry(code: number, name: string, retriable: boolean, description: string) {
  return { code, name, retriable, description } as const;
}

export const ErrorCode = {
  UnknownServerError: entry(-1, 'UNKNOWN_SERVER_ERROR', false, 'unexpected server error'),
  None: entry(0, 'NONE', false, 'no error'),
  OffsetOutOfRange: entry(1, 'OFFSET_OUT_OF_RANGE', false, 'offset outside the log'),
  CorruptMessage: entry(2, 'CORRUPT_MESSAGE', true, 'batch failed its checksum or shape'),
  UnknownTopicOrPartition: entry(3, 'UNKNOWN_TOPIC_OR_PARTITION', true, 'no such topic'),
  InvalidFetchSize: entry(4, 'INVALID_FETCH_SIZE', false, 'fetch size out of range'),
  LeaderNotAvailable: entry(5, 'LEADER_NOT_AVAILABLE', true, 'partition has no leader now'),
  NotLeader: entry(6, 'NOT_LEADER_OR_FOLLOWER', true, 'this node does not lead it'),
  OffsetNotAvailable: entry(
    78,
    'OFFSET_NOT_AVAILABLE',
    true,
    'a new leader has not yet applied what earlier leaders committed',
  ),
  RequestTimedOut: entry(7, 'REQUEST_TIMED_OUT', true, 'request timed out'),
  MessageTooLarge: entry(10, 'MESSAGE_TOO_LARGE', false, 'batch larger than allowed'),
  NetworkException: entry(13, 'NETWORK_EXCEPTION', true, 'connection failed'),
  CoordinatorNotAvailable: entry(15, 'COORDINATOR_NOT_AVAILABLE', true, 'no coordinator yet'),
  NotCoordinator: entry(16, 'NOT_COORDINATOR', true, 'this node is not the coordinator'),
  InvalidTopic: entry(17, 'INVALID_TOPIC_EXCEPTION', false, 'invalid topic name'),
  RecordListTooLarge: entry(18, 'RECORD_LIST_TOO_LARGE', false, 'request too large'),
  NotEnoughReplicas: entry(19, 'NOT_ENOUGH_REPLICAS', true, 'too few live replicas'),
  NotEnoughReplicasAfterAppend: entry(
    20,
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    true,
    'written, but not to enough replicas in time',
  ),
  CoordinatorLoadInProgress: entry(14, 'COORDINATOR_LOAD_IN_PROGRESS', true, 'coordinator loading'),
  IllegalGeneration: entry(22, 'ILLEGAL_GENERATION', false, 'stale group generation'),
  InconsistentGroupProtocol: entry(
    23,
    'INCONSISTENT_GROUP_PROTOCOL',
    false,
    'protocol type or protocols do not match the group',
  ),
  GroupMaxSizeReached: entry(81, 'GROUP_MAX_SIZE_REACHED', false, 'the group is full'),

  UnknownMemberId: entry(25, 'UNKNOWN_MEMBER_ID', false, 'member not in the group'),
  InvalidSessionTimeout: entry(
    26,
    'INVALID_SESSION_TIMEOUT',
    false,
    'session timeout out of range',
  ),
  RebalanceInProgress: entry(27, 'REBALANCE_IN_PROGRESS', false, 'the group is rebalancing'),
  UnsupportedVersion: entry(35, 'UNSUPPORTED_VERSION', false, 'API version not supported'),
  TopicAlreadyExists: entry(36, 'TOPIC_ALREADY_EXISTS', false, 'topic exists'),
  InvalidPartitions: entry(37, 'INVALID_PARTITIONS', false, 'invalid partition count'),
  InvalidReplicationFactor: entry(
    38,
    'INVALID_REPLICATION_FACTOR',
    false,
    'replication factor out of range',
  ),
  InvalidReplicaAssignment: entry(39, 'INVALID_REPLICA_ASSIGNMENT', false, 'bad replica list'),
  InvalidConfig: entry(40, 'INVALID_CONFIG', false, 'invalid configuration'),
  NotController: entry(41, 'NOT_CONTROLLER', true, 'this node is not the controller leader'),
  InvalidRequest: entry(42, 'INVALID_REQUEST', false, 'malformed or invalid request'),
  OutOfOrderSequence: entry(45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false, 'sequence gap'),
  DuplicateSequence: entry(46, 'DUPLICATE_SEQUENCE_NUMBER', false, 'duplicate sequence'),
  InvalidProducerEpoch: entry(47, 'INVALID_PRODUCER_EPOCH', false, 'producer fenced'),
  StorageError: entry(56, 'KAFKA_STORAGE_ERROR', true, 'replica storage failed'),
  UnknownProducerId: entry(59, 'UNKNOWN_PRODUCER_ID', false, 'producer state expired'),
  NonEmptyGroup: entry(68, 'NON_EMPTY_GROUP', false, 'group still has members'),
  GroupIdNotFound: entry(69, 'GROUP_ID_NOT_FOUND', false, 'no such group'),
  UnsupportedCompression: entry(76, 'UNSUPPORTED_COMPRESSION_TYPE', false, 'codec unsupported'),
  MemberIdRequired: entry(79, 'MEMBER_ID_REQUIRED', false, 'rejoin with the given member id'),
  FencedInstanceId: entry(82, 'FENCED_INSTANCE_ID', false, 'static member replaced'),
  InvalidRecord: entry(87, 'INVALID_RECORD', false, 'record refused'),
  BrokerNotAvailable: entry(8, 'BROKER_NOT_AVAILABLE', true, 'broker not available'),
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorName = keyof typeof ErrorCode;

const byCode = new Map<number, ErrorCodeInfo>();
for (const info of Object.values(ErrorCode)) {
  if (byCode.has(info.code)) throw new Error(`duplicate error code ${info.code}`);
  byCode.set(info.code, info);
}

/** Lookup by number; unknown numbers (from a newer peer) map to UNKNOWN_SERVER_ERROR. */
export function errorCodeInfo(code: number): ErrorCodeInfo {
  return byCode.get(code) ?? ErrorCode.UnknownServerError;
}

/** Extra context some errors carry, such as where the leader is or the valid offset range. */
export interface ErrorDetails {
  readonly leaderId?: number;
  readonly logStartOffset?: number;
  readonly logEndOffset?: number;
}

/**
 * An error reported by a broker (or raised by a codec) under one of the codes above.
 * `retriable` says whether the same call may succeed later.
 */
export class ProtocolError extends Error {
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;
  readonly details: ErrorDetails;

  constructor(
    info: ErrorCodeInfo,
    message?: string,
    options: { details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message ? `${info.name}: ${message}` : `${info.name}: ${info.description}`, {
      cause: options.cause,
    });
    this.name = 'ProtocolError';
    this.code = info.code;
    this.errorName = info.name;
    this.retriable = info.retriable;
    this.details = options.details ?? {};
  }

  is(info: ErrorCodeInfo): boolean {
    return this.code === info.code;
  }
}

export function errorFromCode(code: number, message?: string, details?: ErrorDetails) {
  return new ProtocolError(errorCodeInfo(code), message, details ? { details } : {});
}
