/**
 * A key with the window it belongs to: what windowed aggregations produce. Windows are
 * half-open `[start, end)` for time windows and closed `[start, end]` for sliding and session
 * windows, as in Kafka Streams; `end` is always stored as given.
 */
import { SerdeError } from './errors.ts';
import type { Serde } from './serdes.ts';

export interface Window {
  readonly start: number;
  readonly end: number;
}

export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}

const timeBytes = 8;

/**
 * Bytes of a windowed key: the inner key's bytes, then start and end as big-endian int64.
 * Used for windowed output topics and store keys; records with the same key and window
 * compare equal byte for byte.
 */
export interface WindowedSerde<K> extends Serde<Windowed<K>> {
  readonly inner: Serde<K>;
}

export function windowedSerde<K>(inner: Serde<K>): WindowedSerde<K> {
  return {
    name: `windowed(${inner.name})`,
    inner,
    serialize(value) {
      const key = inner.serialize(value.key);
      const bytes = new Uint8Array(key.length + 2 * timeBytes);
      bytes.set(key, 0);
      const view = new DataView(bytes.buffer);
      view.setBigInt64(key.length, BigInt(value.window.start), false);
      view.setBigInt64(key.length + timeBytes, BigInt(value.window.end), false);
      return bytes;
    },
    deserialize(bytes) {
      if (bytes.length < 2 * timeBytes) {
        throw new SerdeError(`windowed key needs at least ${2 * timeBytes} bytes`);
      }
      const keyLength = bytes.length - 2 * timeBytes;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const start = Number(view.getBigInt64(keyLength, false));
      const end = Number(view.getBigInt64(keyLength + timeBytes, false));
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
        throw new SerdeError(`windowed key has a bad window [${start}, ${end}]`);
      }
      return { key: inner.deserialize(bytes.subarray(0, keyLength)), window: { start, end } };
    },
  };
}
