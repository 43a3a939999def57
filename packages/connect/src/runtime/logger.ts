/** A small structured logger: one JSON line per event on stderr, with a level threshold. */
import type { TaskLogger } from '../connector.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'nothing';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, nothing: 4 };

export interface Logger extends TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const log =
    (at: Exclude<LogLevel, 'nothing'>) => (message: string, fields?: Record<string, unknown>) => {
      if (order[at] < order[level]) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level: at, message, ...base, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
      );
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
