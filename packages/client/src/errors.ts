/**
 * Operating errors of the client. Every error the public API throws or rejects with is a
 * `TributaryClientError` with a string `code`, a `retriable` flag (whether the same call may
 * succeed later) and, where there is one, a `cause`. Errors reported by a broker are
 * `TributaryProtocolError`s whose code is the protocol error name (Kafka's, where Kafka has
 * the same error) and whose `errorCode` is its number.
 */
import { type ErrorCodeInfo, type ErrorDetails, errorCodeInfo } from '@tributary/protocol';

export class TributaryClientError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'TributaryClientError';
    this.code = code;
    this.retriable = options.retriable;
  }
}

/** An error code sent by a broker (or the same condition detected before sending). */
export class TributaryProtocolError extends TributaryClientError {
  /** The protocol's numeric error code (Kafka's numbering). */
  readonly errorCode: number;
  /** Extra context: the leader hint, or the valid offset range on OFFSET_OUT_OF_RANGE. */
  readonly details: ErrorDetails;
  /** The broker that answered, when known. */
  readonly nodeId: number | undefined;

  constructor(
    info: ErrorCodeInfo,
    message?: string,
    options: { details?: ErrorDetails; nodeId?: number; cause?: unknown } = {},
  ) {
    super(info.name, message ? `${info.name}: ${message}` : `${info.name}: ${info.description}`, {
      retriable: info.retriable,
      cause: options.cause,
    });
    this.name = 'TributaryProtocolError';
    this.errorCode = info.code;
    this.details = options.details ?? {};
    this.nodeId = options.nodeId;
  }

  is(info: ErrorCodeInfo): boolean {
    return this.errorCode === info.code;
  }
}

export function protocolError(
  code: number,
  message?: string,
  options: { details?: ErrorDetails; nodeId?: number } = {},
): TributaryProtocolError {
  return new TributaryProtocolError(errorCodeInfo(code), message, options);
}

/** The connection to a broker failed or closed; the request may or may not have been seen. */
export class ConnectionError extends TributaryClientError {
  constructor(message: string, cause?: unknown) {
    super('CONNECTION_ERROR', message, { retriable: true, cause });
    this.name = 'ConnectionError';
  }
}

/** One request got no response within its timeout; it may still be applied by the broker. */
export class RequestTimeoutError extends TributaryClientError {
  constructor(message: string) {
    super('REQUEST_TIMEOUT', message, { retriable: true });
    this.name = 'RequestTimeoutError';
  }
}

/** A broker answered with metadata older than the client has already seen; ask again. */
export class StaleMetadataError extends TributaryClientError {
  constructor(message: string) {
    super('STALE_METADATA', message, { retriable: true });
    this.name = 'StaleMetadataError';
  }
}

/** A whole operation (with its retries) did not finish before its deadline. */
export class TimeoutError extends TributaryClientError {
  constructor(message: string, cause?: unknown) {
    super('TIMEOUT', message, { retriable: true, cause });
    this.name = 'TimeoutError';
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class AbortError extends TributaryClientError {
  constructor(message: string, cause?: unknown) {
    super('ABORTED', message, { retriable: false, cause });
    this.name = 'AbortError';
  }
}

/** The client, producer, consumer or admin was closed (or not yet connected). */
export class ClientClosedError extends TributaryClientError {
  constructor(message: string) {
    super('CLIENT_CLOSED', message, { retriable: false });
    this.name = 'ClientClosedError';
  }
}

/** A broker sent bytes that do not form a valid response; the connection is dropped. */
export class MalformedResponseError extends TributaryClientError {
  constructor(message: string, cause?: unknown) {
    super('MALFORMED_RESPONSE', message, { retriable: true, cause });
    this.name = 'MalformedResponseError';
  }
}

/** The application passed something the client cannot use (a bad option, topic, offset). */
export class InvalidArgumentError extends TributaryClientError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message, { retriable: false });
    this.name = 'InvalidArgumentError';
  }
}

/** A call made in a state where it has no meaning (iterating a consumer twice, ...). */
export class IllegalStateError extends TributaryClientError {
  constructor(message: string) {
    super('ILLEGAL_STATE', message, { retriable: false });
    this.name = 'IllegalStateError';
  }
}

export function isRetriable(error: unknown): boolean {
  return error instanceof TributaryClientError && error.retriable;
}
