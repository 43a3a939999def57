/**
 * The data of a proposal made through a node process: a magic, the proposal's id, and
 * filler up to the requested size, so the applied sequence of every replica can be read
 * back as ids and compared.
 *
 *   payload := magic:u32 (0x50524f50 "PROP") id:u64 filler:byte*      little-endian
 */
import { assert } from '../src/durable/assert.ts';

const payloadMagic = 0x50524f50;
export const proposalPayloadBytesMin = 12;
/** Largest payload a proposal may ask for (the bench uses 1 KiB; tests less). */
export const proposalPayloadBytesMax = 1024 * 1024;

export function encodeProposal(id: number, size: number): Buffer {
  assert(Number.isSafeInteger(id) && id >= 0, 'proposal ids are safe integers >= 0');
  assert(
    Number.isSafeInteger(size) &&
      size >= proposalPayloadBytesMin &&
      size <= proposalPayloadBytesMax,
    'proposal size out of range',
  );
  const data = Buffer.alloc(size, 0x2e);
  data.writeUInt32LE(payloadMagic, 0);
  data.writeUInt32LE(id % 2 ** 32, 4);
  data.writeUInt32LE(Math.floor(id / 2 ** 32), 8);
  return data;
}

/** The id in an applied entry's data, or undefined when it is not a proposal payload. */
export function decodeProposalId(data: Uint8Array): number | undefined {
  if (data.byteLength < proposalPayloadBytesMin) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== payloadMagic) return undefined;
  // Two 32-bit halves: a BigInt read costs more than the rest of applying an entry.
  const high = view.getUint32(8, true);
  if (high >= 2 ** 21) return undefined; // beyond Number.MAX_SAFE_INTEGER
  return high * 2 ** 32 + view.getUint32(4, true);
}
