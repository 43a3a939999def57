/** Reads a JSON-lines history back, validating every line. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { JepsenError } from '../errors.ts';
import { historyLineBytesMax } from '../limits.ts';
import type { Operation } from './operation.ts';
import { validateOperation } from './validate.ts';

export async function readHistory(path: string): Promise<Operation[]> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const history: Operation[] = [];
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      history.push(parseHistoryLine(line, `${path}:${lineNumber}`, history.length));
    }
  } catch (cause) {
    if (cause instanceof JepsenError) throw cause;
    throw new JepsenError('history-io', `cannot read history ${path}`, { cause });
  }
  return history;
}

export function parseHistoryLine(line: string, where: string, expectedIndex: number): Operation {
  if (line.length > historyLineBytesMax) {
    throw new JepsenError('history-malformed', `${where}: line longer than ${historyLineBytesMax}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (cause) {
    throw new JepsenError('history-malformed', `${where}: not JSON`, { cause });
  }
  const op = validateOperation(parsed, where);
  if (op.index !== expectedIndex) {
    throw new JepsenError(
      'history-malformed',
      `${where}: index ${op.index} where ${expectedIndex} was expected`,
    );
  }
  return op;
}

/** Serializes a history the way the recorder does (for tests and tools). */
export function historyToJsonLines(history: readonly Operation[]): string {
  return history.map((op) => `${JSON.stringify(op)}\n`).join('');
}
