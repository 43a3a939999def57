/**
 * How commands reach the cluster: one `Client` per command from `--brokers` and
 * `--timeout`, an `Admin` connected (and always disconnected), and the options every call
 * gets (the timeout and the interrupt signal). A failure to connect names the brokers tried.
 */
import {
  type Admin,
  Client,
  type Logger,
  silentLogger,
  TributaryClientError,
} from '@tributary/client';
import { OperationError } from './errors.ts';
import { formatDuration } from './input/duration.ts';
import type { Io } from './io.ts';
import { connectTimeoutMsMax, unknownTopicWaitMsMax } from './limits.ts';

export interface ConnectionSettings {
  readonly brokers: readonly string[];
  readonly timeoutMs: number;
  /** TRIBUTARY_DEBUG=1: client logs on stderr, stacks for unexpected errors. */
  readonly debug: boolean;
}

export interface CallOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

function stderrLogger(io: Io): Logger {
  const write =
    (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
      const detail =
        fields === undefined
          ? ''
          : ` ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : typeof v === 'bigint' ? v.toString() : v))}`;
      io.stderr.write(`${new Date().toISOString()} [client] ${level} ${message}${detail}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export function createClient(settings: ConnectionSettings, io: Io): Client {
  return new Client({
    clientId: 'tributary-cli',
    brokers: settings.brokers,
    logger: settings.debug ? stderrLogger(io) : silentLogger,
    connectTimeoutMs: Math.min(settings.timeoutMs, connectTimeoutMsMax),
    requestTimeoutMs: settings.timeoutMs,
    // Shorter than the whole call, so an unknown topic is reported as such, not as a timeout.
    unknownTopicWaitMs: Math.min(Math.floor(settings.timeoutMs / 2), unknownTopicWaitMsMax),
    retry: { backoffMsInitial: 50, backoffMsMax: 500 },
  });
}

export function callOptions(settings: ConnectionSettings, io: Io): CallOptions {
  return { timeoutMs: settings.timeoutMs, signal: io.interrupt };
}

/** Why connecting failed: interrupted (as is), or the cluster could not be reached. */
export function connectFailure(settings: ConnectionSettings, io: Io, cause: unknown): unknown {
  return io.interrupt.aborted ? cause : unreachable(settings, cause);
}

function unreachable(settings: ConnectionSettings, cause: unknown): OperationError {
  return new OperationError(
    `cannot reach the cluster at ${settings.brokers.join(',')} within ${formatDuration(settings.timeoutMs)} (check --brokers or TRIBUTARY_BROKERS)`,
    cause,
  );
}

/** Runs `body` with a connected Admin, disconnecting it whatever happens. */
export async function withAdmin<T>(
  settings: ConnectionSettings,
  io: Io,
  body: (admin: Admin, options: CallOptions) => Promise<T>,
): Promise<T> {
  const admin = createClient(settings, io).admin();
  const options = callOptions(settings, io);
  try {
    try {
      await admin.connect(options);
    } catch (error) {
      throw connectFailure(settings, io, error);
    }
    return await body(admin, options);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Errors that mean "ask again, elsewhere": the group's coordinator moved or is not ready. */
const coordinatorErrors = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);
const coordinatorRetryPauseMs = 200;

/**
 * `withAdmin` for group operations. The client (as of this writing) reports a coordinator
 * error found in a group response body without retrying and keeps the stale coordinator,
 * so each retry here starts a fresh Admin that looks the coordinator up again. Only
 * coordinator errors are retried: the request was refused, never applied.
 */
export async function withGroupAdmin<T>(
  settings: ConnectionSettings,
  io: Io,
  body: (admin: Admin, options: CallOptions) => Promise<T>,
): Promise<T> {
  const deadlineMs = Date.now() + settings.timeoutMs;
  for (;;) {
    try {
      return await withAdmin(settings, io, body);
    } catch (error) {
      const retry =
        error instanceof TributaryClientError &&
        coordinatorErrors.has(error.code) &&
        Date.now() + coordinatorRetryPauseMs < deadlineMs &&
        !io.interrupt.aborted;
      if (!retry) throw error;
      await new Promise((resolve) => setTimeout(resolve, coordinatorRetryPauseMs));
    }
  }
}
