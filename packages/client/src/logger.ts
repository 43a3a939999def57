/**
 * The client's logger is replaceable: pass any object with these four methods (pino,
 * winston and console all fit with a one-line adapter). The default writes warnings and
 * errors to the console.
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'nothing';

const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, nothing: 4 };

export function consoleLogger(level: LogLevel = 'warn', namespace = 'tributary'): Logger {
  const write =
    (at: Exclude<LogLevel, 'nothing'>) =>
    (message: string, fields?: LogFields): void => {
      if (levelRank[at] < levelRank[level]) return;
      const line = `[${namespace}] ${at} ${message}`;
      const sink = at === 'error' ? console.error : at === 'warn' ? console.warn : console.log;
      if (fields === undefined) sink(line);
      else sink(line, fields);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLogger: Logger = consoleLogger('nothing');
