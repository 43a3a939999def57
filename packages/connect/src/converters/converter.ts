/**
 * Converters turn what a connector hands over into record bytes and back: `json`
 * (schemaless JSON), `string` (UTF-8 text) and `bytes` (as they are). `null` stays `null`
 * both ways (a tombstone value, an absent key). A value that cannot be converted is a
 * `RecordError` (dead-letter topic), never a crash.
 */
import { RecordError } from '../errors.ts';

export type ConverterName = 'json' | 'string' | 'bytes';
export const converterNames: readonly ConverterName[] = ['json', 'string', 'bytes'];

export interface Converter {
  readonly name: ConverterName;
  /** Connector value → bytes for the topic. */
  toBytes(value: unknown): Buffer | null;
  /** Bytes from the topic → the value a sink connector gets. */
  fromBytes(bytes: Buffer | null): unknown;
}

/** JSON with bigints as numbers when safe (strings otherwise) and bytes as base64. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  // `value` is what toJSON made of it; the holder still has the original.
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
  return value;
}

export const jsonConverter: Converter = {
  name: 'json',
  toBytes(value) {
    if (value === null || value === undefined) return null;
    let text: string | undefined;
    try {
      text = JSON.stringify(value, jsonReplacer);
    } catch (error) {
      throw new RecordError('CONVERSION_FAILED', 'value cannot be written as JSON', error);
    }
    if (text === undefined) {
      throw new RecordError('CONVERSION_FAILED', `a ${typeof value} cannot be written as JSON`);
    }
    return Buffer.from(text, 'utf8');
  },
  fromBytes(bytes) {
    if (bytes === null) return null;
    try {
      return JSON.parse(utf8Decoder.decode(bytes));
    } catch (error) {
      throw new RecordError(
        'CONVERSION_FAILED',
        `not JSON: ${bytes.subarray(0, 40).toString('utf8')}`,
        error,
      );
    }
  },
};

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export const stringConverter: Converter = {
  name: 'string',
  toBytes(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (Buffer.isBuffer(value)) return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      return Buffer.from(String(value), 'utf8');
    throw new RecordError(
      'CONVERSION_FAILED',
      `the string converter takes text, numbers and booleans, not a ${typeof value} (use json)`,
    );
  },
  fromBytes(bytes) {
    if (bytes === null) return null;
    try {
      return utf8Decoder.decode(bytes);
    } catch (error) {
      throw new RecordError('CONVERSION_FAILED', 'not valid UTF-8 text', error);
    }
  },
};

export const bytesConverter: Converter = {
  name: 'bytes',
  toBytes(value) {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array)
      return Buffer.from(value.buffer, value.byteOffset, value.length);
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    throw new RecordError(
      'CONVERSION_FAILED',
      `the bytes converter takes bytes or text, not a ${typeof value}`,
    );
  },
  fromBytes(bytes) {
    // Consumed records view the fetch buffer; copy so a sink may keep them.
    return bytes === null ? null : Buffer.from(bytes);
  },
};

export function converterNamed(name: ConverterName): Converter {
  switch (name) {
    case 'json':
      return jsonConverter;
    case 'string':
      return stringConverter;
    case 'bytes':
      return bytesConverter;
  }
}
