/**
 * Output templates for `topic consume -f`: text with placeholders, compiled once and
 * rendered per record. Placeholders:
 *
 *   %t topic          %p partition       %o offset
 *   %k key            %v value           %h headers as k=v joined by ','
 *   %d timestamp (ms since the epoch)    %D timestamp as an ISO 8601 date (UTC)
 *   %K key length in bytes    %V value length in bytes (-1 when null)
 *   %% a literal %
 *
 * Escapes: \n newline, \t tab, \r carriage return, \\ backslash. Nothing is added at the
 * end: a template prints one line per record only if it ends in \n. A null key or value
 * (tombstone) prints as empty text. Anything else after % or \ is a usage error.
 */
import type { ConsumerMessage } from '@tributary/client';
import { UsageError } from '../errors.ts';
import { type Encoding, showBytes } from './bytes.ts';

const placeholders = {
  t: 'topic',
  p: 'partition',
  o: 'offset',
  k: 'key',
  v: 'value',
  h: 'headers',
  d: 'timestamp',
  D: 'date',
  K: 'keyLength',
  V: 'valueLength',
} as const;

type Field = (typeof placeholders)[keyof typeof placeholders];

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly field: Field };

export type Template = readonly TemplatePart[];

const escapes: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

function templateError(source: string, column: number, problem: string): UsageError {
  return new UsageError(
    `bad template '${source}': ${problem} at column ${column}`,
    'topic consume',
  );
}

export function compileTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i] as string;
    if (char !== '%' && char !== '\\') {
      text += char;
      continue;
    }
    const next = source[i + 1];
    if (next === undefined) throw templateError(source, i + 1, `a lone '${char}' at the end`);
    i += 1;
    if (char === '\\') {
      const escaped = escapes[next];
      if (escaped === undefined) throw templateError(source, i, `unknown escape \\${next}`);
      text += escaped;
    } else if (next === '%') {
      text += '%';
    } else {
      const field = placeholders[next as keyof typeof placeholders];
      if (field === undefined) throw templateError(source, i, `unknown placeholder %${next}`);
      if (text.length > 0) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'field', field });
    }
  }
  if (text.length > 0) parts.push({ kind: 'text', text });
  return parts;
}

/** Header pairs in record order (a repeated key keeps each of its values). */
export function headerPairs(message: ConsumerMessage): [string, Buffer][] {
  return Object.entries(message.headers).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((v): [string, Buffer] => [key, v]),
  );
}

function fieldText(field: Field, message: ConsumerMessage, encoding: Encoding): string {
  switch (field) {
    case 'topic':
      return message.topic;
    case 'partition':
      return String(message.partition);
    case 'offset':
      return message.offset.toString();
    case 'key':
      return showBytes(message.key, encoding) ?? '';
    case 'value':
      return showBytes(message.value, encoding) ?? '';
    case 'headers':
      return headerPairs(message)
        .map(([key, value]) => `${key}=${showBytes(value, encoding)}`)
        .join(',');
    case 'timestamp':
      return String(message.timestamp);
    case 'date':
      return message.timestamp < 0 ? '' : new Date(message.timestamp).toISOString();
    case 'keyLength':
      return String(message.key?.byteLength ?? -1);
    case 'valueLength':
      return String(message.value?.byteLength ?? -1);
  }
}

export function renderTemplate(
  template: Template,
  message: ConsumerMessage,
  encoding: Encoding,
): string {
  let out = '';
  for (const part of template) {
    out += part.kind === 'text' ? part.text : fieldText(part.field, message, encoding);
  }
  return out;
}
