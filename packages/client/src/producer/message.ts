/**
 * What an application hands `send`: KafkaJS's message shape, with keys, values and header
 * values as Buffer, Uint8Array or string (UTF-8), and a timestamp in milliseconds as a
 * number, bigint, string or Date. `normalizeMessage` turns it into the codec's
 * `RecordInput` and checks it, so bad input fails the call with INVALID_ARGUMENT before
 * anything is buffered.
 */
import type { RecordHeader, RecordInput } from '@tributary/protocol';
import { InvalidArgumentError } from '../errors.ts';
import { recordHeadersMax, recordTimestampMsMax } from '../limits.ts';

export type Bytes = Buffer | Uint8Array | string;

/** KafkaJS-style headers (a value may repeat the key), or a list of key/value pairs. */
export type MessageHeaders =
  | Readonly<Record<string, Bytes | readonly Bytes[] | null | undefined>>
  | readonly { readonly key: string; readonly value: Bytes | null }[];

export interface Message {
  readonly key?: Bytes | null;
  /** null is a tombstone: on a compacted topic it deletes the key. */
  readonly value: Bytes | null;
  /** Sends to this partition, bypassing the partitioner. */
  readonly partition?: number;
  readonly headers?: MessageHeaders;
  /** Milliseconds since the epoch; default: now. */
  readonly timestamp?: number | bigint | string | Date;
}

const encoder = new TextEncoder();

/** Shared by every message without headers (most of them): one array fewer per record. */
const noHeaders: readonly RecordHeader[] = Object.freeze([]);

/** Bytes per record beyond key, value and headers in the worst case (varints, attributes). */
export const recordOverheadBytesMax = 1 + 5 + 10 + 5 + 5 + 5 + 5;

export function toBytes(value: Bytes | null | undefined, what: string): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  throw new InvalidArgumentError(`${what} must be a Buffer, Uint8Array, string or null`);
}

export function toTimestamp(value: Message['timestamp'], nowMs: number): number {
  if (value === undefined) return nowMs;
  const number =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'bigint'
        ? Number(value)
        : typeof value === 'string'
          ? Number(value)
          : value;
  if (!Number.isSafeInteger(number) || number < -1 || number > recordTimestampMsMax) {
    throw new InvalidArgumentError(`timestamp ${String(value)} is not a millisecond time`);
  }
  return number;
}

export function toHeaders(headers: MessageHeaders | undefined): readonly RecordHeader[] {
  if (headers === undefined) return noHeaders;
  if (Array.isArray(headers)) {
    return headers.map((h: { key: string; value: Bytes | null }) => {
      if (typeof h.key !== 'string') throw new InvalidArgumentError('header key must be a string');
      return { key: h.key, value: toBytes(h.value, `header ${h.key}`) };
    });
  }
  const result: RecordHeader[] = [];
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values)
      result.push({ key, value: toBytes(v as Bytes | null, `header ${key}`) });
  }
  return result;
}

export interface NormalizedMessage {
  readonly record: RecordInput;
  readonly partition: number | undefined;
  /** An upper bound of the record's encoded size. */
  readonly sizeBytes: number;
}

export function normalizeMessage(message: Message, nowMs: number): NormalizedMessage {
  if (typeof message !== 'object' || message === null) {
    throw new InvalidArgumentError('a message must be an object with a value');
  }
  const key = toBytes(message.key, 'key');
  const value = toBytes(message.value, 'value');
  const headers = toHeaders(message.headers);
  if (headers.length > recordHeadersMax) {
    throw new InvalidArgumentError(`${headers.length} headers exceed ${recordHeadersMax}`);
  }
  const timestamp = toTimestamp(message.timestamp, nowMs);
  const partition = message.partition;
  if (partition !== undefined && (!Number.isSafeInteger(partition) || partition < 0)) {
    throw new InvalidArgumentError(`partition ${partition} is not a partition number`);
  }
  let sizeBytes = recordOverheadBytesMax + (key?.length ?? 0) + (value?.length ?? 0);
  for (const header of headers) {
    sizeBytes += 10 + header.key.length * 3 + (header.value?.length ?? 0);
  }
  const record: RecordInput =
    headers.length === 0 ? { key, value, timestamp } : { key, value, headers, timestamp };
  return { record, partition, sizeBytes };
}
