/** Operating errors of the node process and its controller, typed with a code. */

export type NodeProcessErrorCode =
  /** A command-line argument or environment variable is missing or invalid. */
  | 'BAD_ARGUMENT'
  /** A control request did not parse or named an unknown operation or group. */
  | 'BAD_REQUEST'
  /** The applied-entries file does not parse (not a torn tail: damage in the middle). */
  | 'APPLIED_LOG_CORRUPT'
  /** The node process exited, or never said it was ready. */
  | 'PROCESS_EXITED'
  /** A control request got no answer in time. */
  | 'TIMEOUT';

export class NodeProcessError extends Error {
  readonly code: NodeProcessErrorCode;
  readonly retriable: boolean;

  constructor(
    code: NodeProcessErrorCode,
    message: string,
    options: { readonly retriable?: boolean; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NodeProcessError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
