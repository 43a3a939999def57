/** Operating errors of the broker package: one base class, with a code and retriability. */

export class BrokerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable = false,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'BrokerError';
  }
}

/** A configuration value (file, flag or environment) that cannot be used. */
export class ConfigError extends BrokerError {
  constructor(
    readonly key: string,
    readonly source: string,
    problem: string,
  ) {
    super('INVALID_CONFIG', `config ${key} (from ${source}): ${problem}`);
    this.name = 'ConfigError';
  }
}

/** A replica stopped because its storage or state broke an invariant. */
export class ReplicaFencedError extends BrokerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('REPLICA_FENCED', message, false, options);
    this.name = 'ReplicaFencedError';
  }
}

/** Programmer errors: assertions that stay on in production. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
