/**
 * Operating errors of @tributary/connect: one base class with a `code`, whether the same
 * action may succeed later (`retriable`), and a `cause`. Programmer errors are assertions
 * (`assert.ts`), never these.
 */
export type ConnectErrorCode =
  | 'INVALID_CONFIG'
  | 'UNKNOWN_CONNECTOR_CLASS'
  | 'CONNECTOR_NOT_FOUND'
  | 'CONNECTOR_EXISTS'
  | 'CONVERSION_FAILED'
  | 'TRANSFORM_FAILED'
  | 'RECORD_REJECTED'
  | 'EXTERNAL_SYSTEM'
  | 'OFFSETS_UNREADABLE'
  | 'TOPIC_NOT_READY'
  | 'WORKER_STOPPED'
  | 'TIMEOUT';

export class ConnectError extends Error {
  readonly code: ConnectErrorCode;
  readonly retriable: boolean;

  constructor(
    code: ConnectErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot be used: every problem found, not just the first. */
export class ConfigError extends ConnectError {
  readonly problems: readonly string[];

  constructor(what: string, problems: readonly string[]) {
    super('INVALID_CONFIG', `invalid ${what}: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export class UnknownConnectorClassError extends ConnectError {
  constructor(className: unknown, known: readonly string[]) {
    super(
      'UNKNOWN_CONNECTOR_CLASS',
      `unknown connector class ${JSON.stringify(className)}; known: ${known.join(', ')}`,
    );
    this.name = 'UnknownConnectorClassError';
  }
}

export class ConnectorNotFoundError extends ConnectError {
  constructor(name: string) {
    super('CONNECTOR_NOT_FOUND', `no connector named ${JSON.stringify(name)}`);
    this.name = 'ConnectorNotFoundError';
  }
}

export class ConnectorExistsError extends ConnectError {
  constructor(name: string) {
    super('CONNECTOR_EXISTS', `a connector named ${JSON.stringify(name)} exists already`);
    this.name = 'ConnectorExistsError';
  }
}

/** A record the framework or a connector cannot handle; it goes to the dead-letter topic. */
export class RecordError extends ConnectError {
  constructor(
    code: 'CONVERSION_FAILED' | 'TRANSFORM_FAILED' | 'RECORD_REJECTED',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { retriable: false, cause });
    this.name = 'RecordError';
  }
}

/** The external system failed (connection lost, disk full...): retried unless said otherwise. */
export class ExternalSystemError extends ConnectError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super('EXTERNAL_SYSTEM', message, {
      retriable: options.retriable ?? true,
      cause: options.cause,
    });
    this.name = 'ExternalSystemError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether doing the same thing again may succeed (client errors carry `retriable` too). */
export function isRetriable(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'retriable' in error &&
    (error as { retriable: unknown }).retriable === true
  );
}
