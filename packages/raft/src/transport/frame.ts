/**
 * A data frame on an authenticated peer connection: one binary WebSocket message holding
 * a batch of Raft messages of any groups,
 *
 *   frame   := msgpack [16, [message, ...]]
 *
 * encoded with msgpackr's record extension (each frame defines the structures it uses, so
 * every frame decodes on its own). An Append's `entries` travel packed into one msgpack
 * `bin` rather than as an array of records (per-entry record encoding was the largest cost
 * of sending 100-byte entries):
 *
 *   entries := count:u32 (term:f64 type:u8 size:u32 data)*       little-endian
 *
 * Entry indexes are implicit: `prevLogIndex + 1 + i`, which is what the validator demands
 * of every append anyway. A decoder also accepts the plain array form. Entry and snapshot
 * data decode as Buffer views into the received frame (no copy), so a frame stays in
 * memory while any entry decoded from it does. Decoding returns unchecked values: each
 * must pass the host's validator before it reaches the core; a malformed entries block
 * is left as it is, and the validator refuses it.
 */
import { Packr, Unpackr } from 'msgpackr';
import { type Entry, type Message, MessageType } from '../core/types.ts';
import { entryOverheadBytes, messageOverheadBytes } from './limits.ts';

export const messagesFrameKind = 16;

const packr = new Packr({ useRecords: true, moreTypes: false });
const unpackr = new Unpackr({ useRecords: true, moreTypes: false, mapsAsObjects: true });

const entriesCountBytes = 4;
const packedEntryHeaderBytes = 13;

/**
 * Where a frame's entries blocks are written before msgpackr copies them into the frame;
 * reused from frame to frame (encoding is synchronous), grown as needed.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

export function encodeMessagesFrame(messages: readonly Message[]): Buffer {
  let blockBytes = 0;
  for (const message of messages)
    if (message.type === MessageType.Append && packable(message.entries, message.prevLogIndex))
      blockBytes += packedEntriesBytes(message.entries);
  if (blockBytes > scratch.byteLength)
    scratch = Buffer.allocUnsafe(Math.max(blockBytes, scratch.byteLength * 2));
  let offset = 0;
  const values = messages.map((message) => {
    if (message.type === MessageType.Append && packable(message.entries, message.prevLogIndex)) {
      const end = packEntries(message.entries, scratch, offset);
      const block = scratch.subarray(offset, end);
      offset = end;
      return { ...message, entries: block };
    }
    if (message.type === MessageType.InstallSnapshot && !Buffer.isBuffer(message.data))
      return { ...message, data: asBuffer(message.data) };
    return message;
  });
  return packr.pack([messagesFrameKind, values]);
}

/** Entries at consecutive indexes after `prevLogIndex` (always so from the core). */
function packable(entries: readonly Entry[], prevLogIndex: number): boolean {
  const count = entries.length;
  if (count === 0) return false;
  const last = entries[count - 1] as Entry;
  return (entries[0] as Entry).index === prevLogIndex + 1 && last.index === prevLogIndex + count;
}

function packedEntriesBytes(entries: readonly Entry[]): number {
  let bytes = entriesCountBytes;
  for (let i = 0; i < entries.length; i++)
    bytes += packedEntryHeaderBytes + (entries[i] as Entry).data.byteLength;
  return bytes;
}

/** Writes `entries` packed at `offset`; returns where they end. */
function packEntries(entries: readonly Entry[], target: Buffer, offset: number): number {
  let at = target.writeUInt32LE(entries.length, offset);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const data = entry.data;
    at = target.writeDoubleLE(entry.term, at);
    target[at] = entry.type;
    at = target.writeUInt32LE(data.byteLength, at + 1);
    target.set(data, at);
    at += data.byteLength;
  }
  return at;
}

/**
 * The entries packed in `block`, with indexes from `prevLogIndex + 1`, their data views
 * into the block; undefined if the block is not exactly a well-formed entries block.
 */
function unpackEntries(block: Buffer, prevLogIndex: unknown): Entry[] | undefined {
  const bytes = block.byteLength;
  if (typeof prevLogIndex !== 'number' || bytes < entriesCountBytes) return undefined;
  const view = new DataView(block.buffer, block.byteOffset, bytes);
  const count = view.getUint32(0, true);
  if (count * packedEntryHeaderBytes > bytes - entriesCountBytes) return undefined;
  const entries: Entry[] = new Array(count);
  let at = entriesCountBytes;
  for (let i = 0; i < count; i++) {
    if (at + packedEntryHeaderBytes > bytes) return undefined;
    const term = view.getFloat64(at, true);
    const type = view.getUint8(at + 8);
    const size = view.getUint32(at + 9, true);
    at += packedEntryHeaderBytes;
    if (at + size > bytes) return undefined;
    entries[i] = {
      index: prevLogIndex + 1 + i,
      term,
      type: type as Entry['type'],
      data: block.subarray(at, at + size),
    };
    at += size;
  }
  return at === bytes ? entries : undefined;
}

/**
 * msgpackr writes a plain Uint8Array through its generic typed-array path, about eight
 * times slower than a Buffer (1 KiB: ~100 vs ~900 MB/s); both give the same bin bytes, so
 * snapshot data is wrapped as a Buffer view (no copy) first.
 */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The frame's raw message values, or undefined if it is not a well-formed frame. */
export function decodeMessagesFrame(bytes: Buffer): unknown[] | undefined {
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || value[0] !== messagesFrameKind)
    return undefined;
  const messages = value[1];
  if (!Array.isArray(messages)) return undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Record<string, unknown> | null;
    if (
      typeof message === 'object' &&
      message !== null &&
      message.type === MessageType.Append &&
      Buffer.isBuffer(message.entries)
    ) {
      // A malformed block stays a Buffer: the validator refuses it (not an array).
      message.entries = unpackEntries(message.entries, message.prevLogIndex) ?? message.entries;
    }
  }
  return messages;
}

/** Estimated encoded size, for queue bounds and frame packing (exactness not needed). */
export function estimateMessageBytes(message: Message): number {
  if (message.type === MessageType.Append) {
    let bytes = messageOverheadBytes;
    for (const entry of message.entries) bytes += entry.data.byteLength + entryOverheadBytes;
    return bytes;
  }
  if (message.type === MessageType.InstallSnapshot) {
    const { voters, outgoingVoters, learners } = message.metadata.config;
    const members = voters.length + outgoingVoters.length + learners.length;
    return messageOverheadBytes + message.data.byteLength + 16 * members;
  }
  return messageOverheadBytes;
}
