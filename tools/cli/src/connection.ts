/**
 * How commands reach the cluster: one `Client` per command from `--brokers` and
 * `--timeout`, an `Admin` connected (and always disconnected), and the options every call
 * gets (the timeout and the interrupt signal). A failure to connect names the brokers tried.
 */
import { type Admin, Client, type Logger, silentLogger } from '@tributary/client';
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
    unknownTopicWaitMs: Math.min(settings.timeoutMs, unknownTopicWaitMsMax),
    retry: { backoffMsInitial: 50, backoffMsMax: 500 },
  });
}

export function callOptions(settings: ConnectionSettings, io: Io): CallOptions {
  return { timeoutMs: settings.timeoutMs, signal: io.interrupt };
}

export function unreachable(settings: ConnectionSettings, cause: unknown): OperationError {
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
      throw unreachable(settings, error);
    }
    return await body(admin, options);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
