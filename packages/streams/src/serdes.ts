/**
 * Serdes turn keys and values into bytes and back. A `null` value is a tombstone on the wire
 * (no bytes) and stays `null` in both directions, whatever the serde. Every deserializer
 * checks its input and throws a `SerdeError` on bytes it cannot read.
 */
import { SerdeError } from './errors.ts';

export interface Serde<T> {
  /** A short name for error messages and docs (`string`, `json`, ...). */
  readonly name: string;
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

const stringSerde: Serde<string> = {
  name: 'string',
  serialize(value) {
    if (typeof value !== 'string') throw new SerdeError(`string serde got ${typeof value}`);
    // Buffer.from takes short strings from a shared slab; TextEncoder allocates a new
    // ArrayBuffer per call, which dominated the per-record cost of string keys.
    return Buffer.from(value, 'utf8');
  },
  deserialize(bytes) {
    try {
      return decoder.decode(bytes);
    } catch (error) {
      throw new SerdeError('bytes are not valid UTF-8', error);
    }
  },
};

const numberBytes = 8;

/** IEEE-754 float64, big-endian: every JavaScript number round-trips exactly. */
const numberSerde: Serde<number> = {
  name: 'number',
  serialize(value) {
    if (typeof value !== 'number') throw new SerdeError(`number serde got ${typeof value}`);
    const bytes = Buffer.allocUnsafe(numberBytes);
    bytes.writeDoubleBE(value, 0);
    return bytes;
  },
  deserialize(bytes) {
    if (bytes.length !== numberBytes) {
      throw new SerdeError(`number serde needs ${numberBytes} bytes, got ${bytes.length}`);
    }
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getFloat64(0, false);
  },
};

const bytesSerde: Serde<Uint8Array> = {
  name: 'bytes',
  serialize(value) {
    if (!(value instanceof Uint8Array)) throw new SerdeError('bytes serde needs a Uint8Array');
    return value;
  },
  deserialize(bytes) {
    return bytes;
  },
};

function jsonSerde<T>(): Serde<T> {
  return {
    name: 'json',
    serialize(value) {
      const text = JSON.stringify(value);
      if (text === undefined) throw new SerdeError(`json serde cannot encode ${typeof value}`);
      return Buffer.from(text, 'utf8');
    },
    deserialize(bytes) {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch (error) {
        throw new SerdeError('bytes are not valid UTF-8 JSON', error);
      }
    },
  };
}

export const Serdes = {
  string: (): Serde<string> => stringSerde,
  number: (): Serde<number> => numberSerde,
  bytes: (): Serde<Uint8Array> => bytesSerde,
  json: <T = unknown>(): Serde<T> => jsonSerde<T>(),
} as const;

/** Serializes a nullable value: `null` (a tombstone) has no bytes. */
export function serializeNullable<T>(serde: Serde<T>, value: T | null): Uint8Array | null {
  return value === null || value === undefined ? null : serde.serialize(value);
}

export function deserializeNullable<T>(serde: Serde<T>, bytes: Uint8Array | null): T | null {
  return bytes === null ? null : serde.deserialize(bytes);
}

/** A key's bytes as a string with one char per byte: a Map key that sorts as the bytes do. */
export function bytesToKeyString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

export function keyStringToBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}
