/**
 * The worker process's last line of defence against promise rejections nobody handles.
 *
 * `@tributary/client` (as of this writing) lets one through when a consumer is stopped
 * while it is still looking up its first positions: an `AbortError` ("positions aborted",
 * code ABORTED) that no one awaits. The framework stops such consumers whenever a task
 * stops while reading offsets back (pause, delete, a configuration replaced), and Node
 * ends the process on an unhandled rejection: a REST call could kill the worker (found
 * by the REST end-to-end test). Those aborts are logged and the worker goes on; any
 * other unhandled rejection is a bug and still ends the process, loudly.
 */
import type { Logger } from './logger.ts';

/** An abort of a client call, which says only that something was stopped. */
export function isStrayAbort(reason: unknown): boolean {
  if (typeof reason !== 'object' || reason === null) return false;
  const { name, code } = reason as { name?: unknown; code?: unknown };
  return name === 'AbortError' && code === 'ABORTED';
}

export function installRejectionGuard(log: Logger, exit: (code: number) => void): void {
  process.on('unhandledRejection', (reason: unknown) => {
    if (isStrayAbort(reason)) {
      log.warn('ignored an unhandled abort of a stopped client call', { error: String(reason) });
      return;
    }
    log.error('unhandled rejection; stopping', {
      error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason),
    });
    exit(1);
  });
}
