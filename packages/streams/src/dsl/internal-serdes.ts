/**
 * Serdes for the engine's own wrappers: values on their way to a grouped-table aggregation
 * (tagged add or subtract), buffered join records (with their matched flag) and suppressed
 * results (with their timestamp). Each writes a one-byte or eight-byte prefix before the
 * inner value's bytes.
 */
import { SerdeError } from '../errors.ts';
import type { BufferedJoinValue } from '../processors/stream-stream-join.ts';
import type { SuppressedValue } from '../processors/suppress.ts';
import type { GroupChange } from '../processors/table-processors.ts';
import type { Serde } from '../serdes.ts';

function prefixed(tag: number, inner: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(inner.length + 1);
  bytes[0] = tag;
  bytes.set(inner, 1);
  return bytes;
}

export function groupChangeSerde<V>(inner: Serde<V>): Serde<GroupChange<V>> {
  return {
    name: `group-change(${inner.name})`,
    serialize: (change) => prefixed(change.op === 'add' ? 1 : 0, inner.serialize(change.value)),
    deserialize(bytes) {
      const tag = bytes[0];
      if (tag !== 0 && tag !== 1) throw new SerdeError(`group change with tag ${String(tag)}`);
      return { op: tag === 1 ? 'add' : 'subtract', value: inner.deserialize(bytes.subarray(1)) };
    },
  };
}

export function joinBufferSerde(inner: Serde<unknown>): Serde<BufferedJoinValue> {
  return {
    name: `join-buffer(${inner.name})`,
    serialize: (entry) => prefixed(entry.matched ? 1 : 0, inner.serialize(entry.value)),
    deserialize(bytes) {
      const tag = bytes[0];
      if (tag !== 0 && tag !== 1) throw new SerdeError(`join buffer entry with tag ${String(tag)}`);
      return { matched: tag === 1, value: inner.deserialize(bytes.subarray(1)) };
    },
  };
}

export function suppressedSerde(inner: Serde<unknown>): Serde<SuppressedValue> {
  return {
    name: `suppressed(${inner.name})`,
    serialize(entry) {
      const value = inner.serialize(entry.value);
      const bytes = Buffer.alloc(8 + value.length);
      bytes.writeDoubleBE(entry.timestamp, 0);
      bytes.set(value, 8);
      return bytes;
    },
    deserialize(bytes) {
      if (bytes.length < 8) throw new SerdeError('suppressed entry shorter than its timestamp');
      const timestamp = Buffer.from(bytes.buffer, bytes.byteOffset, 8).readDoubleBE(0);
      return { timestamp, value: inner.deserialize(bytes.subarray(8)) };
    },
  };
}
