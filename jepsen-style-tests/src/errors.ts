/** Operating errors of the harness: typed, with a code, whether retrying may help, and a cause. */
export type JepsenErrorCode =
  | 'history-malformed'
  | 'history-io'
  | 'command-failed'
  | 'network-setup'
  | 'proxy-target-unknown'
  | 'cluster-control'
  | 'client-process'
  | 'operation-timeout'
  | 'options-invalid'
  | 'not-supported';

export class JepsenError extends Error {
  override readonly name = 'JepsenError';
  readonly code: JepsenErrorCode;
  readonly retriable: boolean;

  constructor(
    code: JepsenErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
