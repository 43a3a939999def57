/** Converting headers between the client's shapes and the engine's list of pairs. */
import type { RecordHeaders } from '../engine/record.ts';
import type { PortHeader } from './client-port.ts';

export function fromConsumed(headers: Readonly<Record<string, Buffer | Buffer[]>>): RecordHeaders {
  const list: { key: string; value: Uint8Array | null }[] = [];
  for (const [key, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) list.push({ key, value: v });
  }
  return list;
}

export function toProduced(headers: RecordHeaders): PortHeader[] {
  return headers.map((h) => ({
    key: h.key,
    value:
      h.value === null ? null : Buffer.from(h.value.buffer, h.value.byteOffset, h.value.length),
  }));
}
