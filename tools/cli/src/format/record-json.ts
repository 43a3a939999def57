/**
 * A consumed record as one JSON line (the default output of `topic consume`):
 * `{"topic","partition","offset","timestamp","key","value","headers"}`. A null key or a
 * tombstone's value is JSON null; headers are an object whose repeated keys hold arrays.
 */
import type { ConsumerMessage } from '@tributary/client';
import { type Encoding, showBytes } from './bytes.ts';
import { toJsonLine } from './json.ts';
import { headerPairs } from './template.ts';

export function recordToJson(message: ConsumerMessage, encoding: Encoding) {
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of headerPairs(message)) {
    const shown = showBytes(value, encoding) ?? '';
    const existing = headers[key];
    if (existing === undefined) headers[key] = shown;
    else if (Array.isArray(existing)) existing.push(shown);
    else headers[key] = [existing, shown];
  }
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: showBytes(message.key, encoding),
    value: showBytes(message.value, encoding),
    headers,
  };
}

export function recordJsonLine(message: ConsumerMessage, encoding: Encoding): string {
  return toJsonLine(recordToJson(message, encoding));
}
