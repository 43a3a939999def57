/**
 * Operating errors of the partition log. One base class carries `code`, `retriable`,
 * `cause`, whether the error fenced the log (`fatal`), and the protocol error a broker
 * should answer with, so a handler can map any of them without a table of its own.
 */
import { ErrorCode, type ErrorCodeInfo } from '@tributary/protocol';

export abstract class StorageError extends Error {
  abstract readonly code: string;
  /** Whether the same call may succeed later without operator action. */
  readonly retriable: boolean;
  /** True when the log stopped serving because of this error (corruption, I/O failure). */
  readonly fatal: boolean;
  readonly protocolError: ErrorCodeInfo;

  protected constructor(
    message: string,
    options: {
      retriable: boolean;
      fatal: boolean;
      protocolError: ErrorCodeInfo;
      cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.retriable = options.retriable;
    this.fatal = options.fatal;
    this.protocolError = options.protocolError;
  }
}

/** An offset outside [logStartOffset, logEndOffset]; carries the valid range. */
export class OffsetOutOfRangeError extends StorageError {
  readonly code = 'OFFSET_OUT_OF_RANGE';
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;

  constructor(offset: number, logStartOffset: number, logEndOffset: number) {
    super(`offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset})`, {
      retriable: false,
      fatal: false,
      protocolError: ErrorCode.OffsetOutOfRange,
    });
    this.name = 'OffsetOutOfRangeError';
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** A batch handed to `append` failed its checks (shape, CRC); `cause` says which. */
export class InvalidBatchError extends StorageError {
  readonly code = 'INVALID_BATCH';

  constructor(message: string, cause?: unknown) {
    super(message, {
      retriable: false,
      fatal: false,
      protocolError: ErrorCode.CorruptMessage,
      cause,
    });
    this.name = 'InvalidBatchError';
  }
}

/** A batch larger than the log's `maxBatchBytes`. */
export class BatchTooLargeError extends StorageError {
  readonly code = 'BATCH_TOO_LARGE';
  readonly sizeBytes: number;
  readonly sizeBytesMax: number;

  constructor(sizeBytes: number, sizeBytesMax: number) {
    super(`batch of ${sizeBytes} bytes exceeds maxBatchBytes ${sizeBytesMax}`, {
      retriable: false,
      fatal: false,
      protocolError: ErrorCode.MessageTooLarge,
    });
    this.name = 'BatchTooLargeError';
    this.sizeBytes = sizeBytes;
    this.sizeBytesMax = sizeBytesMax;
  }
}

/** Stored bytes that cannot be what this log wrote: the log is fenced, never skipped. */
export class CorruptLogError extends StorageError {
  readonly code = 'CORRUPT_LOG';
  readonly file: string;
  readonly position: number;

  constructor(message: string, where: { file: string; position: number }, cause?: unknown) {
    super(`${where.file} at byte ${where.position}: ${message}`, {
      retriable: false,
      fatal: true,
      protocolError: ErrorCode.StorageError,
      cause,
    });
    this.name = 'CorruptLogError';
    this.file = where.file;
    this.position = where.position;
  }
}

/** The file system failed; what reached the disk is unknown, so the log is fenced. */
export class StorageIoError extends StorageError {
  readonly code = 'STORAGE_IO';

  constructor(message: string, cause: unknown) {
    super(message, { retriable: false, fatal: true, protocolError: ErrorCode.StorageError, cause });
    this.name = 'StorageIoError';
  }
}

/** Every call on a fenced log raises this; `cause` is the error that fenced it. */
export class LogFencedError extends StorageError {
  readonly code = 'LOG_FENCED';

  constructor(directory: string, cause: unknown) {
    super(`the log in ${directory} is fenced and serves nothing`, {
      retriable: false,
      fatal: true,
      protocolError: ErrorCode.StorageError,
      cause,
    });
    this.name = 'LogFencedError';
  }
}

export class LogClosedError extends StorageError {
  readonly code = 'LOG_CLOSED';

  constructor(directory: string) {
    super(`the log in ${directory} is closed`, {
      retriable: false,
      fatal: false,
      protocolError: ErrorCode.NotLeader,
    });
    this.name = 'LogClosedError';
  }
}

/** A configuration value out of range; `field` names it. */
export class InvalidConfigError extends StorageError {
  readonly code = 'INVALID_CONFIG';
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`, {
      retriable: false,
      fatal: false,
      protocolError: ErrorCode.InvalidConfig,
    });
    this.name = 'InvalidConfigError';
    this.field = field;
  }
}

/** `truncateTo` was asked to cut inside a batch; logs are cut only between batches. */
export class InvalidTruncationError extends StorageError {
  readonly code = 'INVALID_TRUNCATION';

  constructor(message: string) {
    super(message, { retriable: false, fatal: false, protocolError: ErrorCode.InvalidRequest });
    this.name = 'InvalidTruncationError';
  }
}
