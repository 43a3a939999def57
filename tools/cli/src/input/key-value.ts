/** `key=value` pairs typed on the command line (headers, topic configs). */
import { UsageError } from '../errors.ts';

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** Splits at the first `=`; the value may contain more `=` and may be empty; the key may not. */
export function parseKeyValue(text: string, what: string): KeyValue {
  const equals = text.indexOf('=');
  if (equals < 0) throw new UsageError(`${what} '${text}' must be key=value`);
  const key = text.slice(0, equals);
  if (key.length === 0) throw new UsageError(`${what} '${text}' has an empty key`);
  return { key, value: text.slice(equals + 1) };
}
