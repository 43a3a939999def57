/**
 * Operating errors of the streams library. Every error the public API throws is a
 * `StreamsError` with a string `code`, a `retriable` flag and, where there is one, a `cause`.
 * Programmer errors inside the engine are assertions (`assert.ts`), not these.
 */
export class StreamsError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(
    code: string,
    message: string,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'StreamsError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** The topology as written cannot run: an unknown store, a name used twice, a missing serde. */
export class TopologyError extends StreamsError {
  constructor(message: string) {
    super('TOPOLOGY_ERROR', message);
    this.name = 'TopologyError';
  }
}

export interface CopartitionMismatch {
  readonly topic: string;
  readonly partitions: number;
}

/**
 * Topics that are joined must have the same number of partitions, so that partition `p` of
 * each holds the same keys (the producer places a key by a hash of its bytes modulo the
 * partition count). Raised before any record is processed.
 */
export class CoPartitioningError extends StreamsError {
  readonly topics: readonly CopartitionMismatch[];

  constructor(topics: readonly CopartitionMismatch[], context: string) {
    const list = topics.map((t) => `${t.topic} (${t.partitions})`).join(', ');
    super(
      'COPARTITIONING_ERROR',
      `${context}: topics must have the same number of partitions to be joined, got ${list}; ` +
        'repartition one side (stream.repartition({ partitions })) or recreate the topic',
    );
    this.name = 'CoPartitioningError';
    this.topics = topics;
  }
}

/** Bytes could not be turned into a value (or a value into bytes) by a serde. */
export class SerdeError extends StreamsError {
  constructor(message: string, cause?: unknown) {
    super('SERDE_ERROR', message, { cause });
    this.name = 'SerdeError';
  }
}

/** A call that makes no sense in the current state (querying a store that is not local...). */
export class IllegalStateError extends StreamsError {
  constructor(message: string) {
    super('ILLEGAL_STATE', message);
    this.name = 'IllegalStateError';
  }
}

/** Local state on disk is unreadable past its checksummed, recoverable tail. */
export class StateCorruptionError extends StreamsError {
  constructor(message: string, cause?: unknown) {
    super('STATE_CORRUPTION', message, { cause });
    this.name = 'StateCorruptionError';
  }
}

/** An invalid option or argument handed to the library. */
export class InvalidArgumentError extends StreamsError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}
