/**
 * How the simulator names entries and encodes its state machine. A data entry carries a
 * unique proposal id ("p17"); an entry's key adds its term and type, so two different
 * entries never share a key, and checkers compare keys instead of bytes.
 */
import { type Entry, EntryType } from '../core/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function proposalData(id: string): Uint8Array {
  return encoder.encode(id);
}

export function dataText(data: Uint8Array): string {
  return decoder.decode(data);
}

function hex(data: Uint8Array): string {
  let out = '';
  for (const byte of data) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function entryKey(entry: Entry): string {
  switch (entry.type) {
    case EntryType.Data:
      return `${entry.term}/d/${dataText(entry.data)}`;
    case EntryType.Noop:
      return `${entry.term}/n`;
    default:
      return `${entry.term}/c/${hex(entry.data)}`;
  }
}

/** The simulator's state machine image: the proposal ids applied, in order. */
export function encodeState(ids: readonly string[]): Uint8Array {
  return encoder.encode(JSON.stringify(ids));
}

export function decodeState(data: Uint8Array): string[] {
  if (data.byteLength === 0) return [];
  const value: unknown = JSON.parse(decoder.decode(data));
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string')) {
    throw new Error('simulator: snapshot image is not a list of proposal ids');
  }
  return value;
}
