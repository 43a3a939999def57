/** Durations typed on the command line: `250ms`, `10s`, `2m`, `1h`, or plain milliseconds. */
import { UsageError } from '../errors.ts';

const msPerUnit: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, what: string, maxMs: number): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`${what} must be a duration such as 500ms, 10s or 2m, got '${text}'`);
  }
  const ms = Math.round(Number(match[1]) * (msPerUnit[match[2] ?? 'ms'] ?? 1));
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > maxMs) {
    throw new UsageError(`${what} must be between 1ms and ${maxMs / 1_000}s, got '${text}'`);
  }
  return ms;
}

/** `1500` → `1.5s`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  return `${Number((ms / 60_000).toFixed(1))}m`;
}
