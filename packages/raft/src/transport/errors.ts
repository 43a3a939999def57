/**
 * Operating errors of the peer transport. Network failures are not errors to the caller
 * (sends are fire-and-forget, Raft retries); these are for bad configuration and use.
 */

export type TransportErrorCode = 'INVALID_CONFIG' | 'CLOSED' | 'LISTEN_FAILED';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    readonly retriable = false,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}
