/** From an error to an HTTP status and a JSON body that says what was wrong. */
import { ConfigError, ConnectError, errorMessage } from '../errors.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly problems?: readonly string[];
}

export function statusOf(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError)
    return { status: error.status, body: { error: error.code, message: error.message } };
  if (error instanceof ConfigError) {
    return {
      status: 400,
      body: { error: error.code, message: error.message, problems: error.problems },
    };
  }
  if (error instanceof ConnectError) {
    switch (error.code) {
      case 'UNKNOWN_CONNECTOR_CLASS':
        return { status: 400, body: { error: error.code, message: error.message } };
      case 'CONNECTOR_NOT_FOUND':
        return { status: 404, body: { error: error.code, message: error.message } };
      case 'CONNECTOR_EXISTS':
        return { status: 409, body: { error: error.code, message: error.message } };
      default:
        break;
    }
  }
  const retriable = (error as { retriable?: unknown }).retriable === true;
  return {
    status: retriable ? 503 : 500,
    body: { error: (error as { code?: string }).code ?? 'INTERNAL', message: errorMessage(error) },
  };
}
