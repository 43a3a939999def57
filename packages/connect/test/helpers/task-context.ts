/** A task context for driving connector tasks directly in tests; log lines are kept. */
import type { TaskContext } from '../../src/index.ts';

export function taskContext(lines: string[] = []): TaskContext {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    connector: 'test',
    taskIndex: 0,
    log: { info: log('info'), warn: log('warn'), error: log('error') },
  };
}

export function sinkRecord(key: unknown, value: unknown, offset = 0n) {
  return { topic: 't', partition: 0, offset, key, value, headers: {}, timestamp: 0 };
}
