/**
 * A data frame on an authenticated peer connection: one binary WebSocket message holding
 * a batch of Raft messages of any groups,
 *
 *   frame   := kind:u8 (17) headerSize:u32 header blobs
 *   header  := msgpack [message, ...]
 *   blobs   := the bulk bytes of the header's messages, in message order, back to back
 *   entries := count:u32 (term:f64 type:u8 size:u32 data)*       little-endian
 *
 * The header is encoded with msgpackr's record extension (each frame defines the
 * structures it uses, so every frame decodes on its own). Bulk bytes travel outside it, in
 * the blobs, so that they are copied once, straight into the frame: an Append's entries
 * packed as one `entries` block (its `entries` field in the header is the block's size in
 * bytes), an InstallSnapshot's data (its `data` field is the size). Copying them into
 * msgpackr's buffer instead (a second copy, into a buffer it allocates afresh, four times
 * the frame, every few large frames) cost about 300 ns of CPU per 100-byte entry in a
 * steady state, against about 150 now (in-process, 1 MiB frames; see docs/raft-runtime.md).
 *
 * Entry indexes are implicit: `prevLogIndex + 1 + i`, which is what the validator demands
 * of every append anyway. Entries that are not consecutive go in the header as a plain
 * array (the validator refuses them). Entry and snapshot data decode as Buffer views into
 * the received frame (no copy), so a frame stays in memory while any entry decoded from it
 * does. A frame whose sizes do not add up to its length exactly does not decode at all;
 * otherwise decoding returns unchecked values: each must pass the host's validator before
 * it reaches the core, and a malformed entries block is left as it is (the validator
 * refuses it).
 */
import { Packr, Unpackr } from 'msgpackr';
import { type Entry, type Message, MessageType } from '../core/types.ts';
import { assert } from '../durable/assert.ts';
import { entryOverheadBytes, messageOverheadBytes } from './limits.ts';

export const messagesFrameKind = 17;

const packr = new Packr({ useRecords: true, moreTypes: false });
const unpackr = new Unpackr({ useRecords: true, moreTypes: false, mapsAsObjects: true });

const frameHeadBytes = 5;
const entriesCountBytes = 4;
const packedEntryHeaderBytes = 13;

/** One message's bulk bytes, written into the frame after the header. */
type Blob =
  | { readonly kind: 'entries'; readonly entries: readonly Entry[]; readonly bytes: number }
  | { readonly kind: 'data'; readonly data: Uint8Array; readonly bytes: number };

/**
 * Encodes a frame. `allocate` gives the frame's memory (default: a fresh Buffer); a sender
 * may hand out recycled memory instead (see FramePool), as long as it keeps it untouched
 * until the frame has been written.
 */
export function encodeMessagesFrame(
  messages: readonly Message[],
  allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const blobs: Blob[] = [];
  let blobBytes = 0;
  const values = messages.map((message) => {
    if (message.type === MessageType.Append && packable(message.entries, message.prevLogIndex)) {
      const bytes = packedEntriesBytes(message.entries);
      blobs.push({ kind: 'entries', entries: message.entries, bytes });
      blobBytes += bytes;
      return { ...message, entries: bytes };
    }
    if (message.type === MessageType.InstallSnapshot) {
      const bytes = message.data.byteLength;
      blobs.push({ kind: 'data', data: message.data, bytes });
      blobBytes += bytes;
      return { ...message, data: bytes };
    }
    return message;
  });
  const header = packr.pack(values);
  const frameBytes = frameHeadBytes + header.byteLength + blobBytes;
  const frame = allocate(frameBytes);
  assert(frame.byteLength === frameBytes, 'a frame buffer has exactly the frame size');
  frame[0] = messagesFrameKind;
  frame.writeUInt32LE(header.byteLength, 1);
  frame.set(header, frameHeadBytes);
  let at = frameHeadBytes + header.byteLength;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (const blob of blobs) {
    if (blob.kind === 'entries') at = packEntries(blob.entries, frame, view, at);
    else {
      frame.set(blob.data, at);
      at += blob.bytes;
    }
  }
  if (at !== frame.byteLength) throw new Error('frame encoder: blob sizes do not add up');
  return frame;
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

/**
 * Writes `entries` packed at `offset` of `target` (through `view`, a DataView of it: about
 * a third cheaper per entry than Buffer's write methods); returns where they end.
 */
function packEntries(
  entries: readonly Entry[],
  target: Buffer,
  view: DataView,
  offset: number,
): number {
  view.setUint32(offset, entries.length, true);
  let at = offset + entriesCountBytes;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const data = entry.data;
    view.setFloat64(at, entry.term, true);
    target[at + 8] = entry.type;
    view.setUint32(at + 9, data.byteLength, true);
    at += packedEntryHeaderBytes;
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

/** The frame's raw message values, or undefined if it is not a well-formed frame. */
export function decodeMessagesFrame(bytes: Buffer): unknown[] | undefined {
  if (bytes.byteLength < frameHeadBytes || bytes[0] !== messagesFrameKind) return undefined;
  const headerEnd = frameHeadBytes + bytes.readUInt32LE(1);
  if (headerEnd > bytes.byteLength) return undefined;
  let messages: unknown;
  try {
    messages = unpackr.unpack(bytes.subarray(frameHeadBytes, headerEnd));
  } catch {
    return undefined;
  }
  if (!Array.isArray(messages)) return undefined;
  const end = attachBlobs(messages, bytes, headerEnd);
  return end === bytes.byteLength ? messages : undefined;
}

/**
 * Gives each message its bulk bytes from the frame's blobs, in order (views, no copy);
 * returns where the blobs ended, or -1 if a size is not a whole number or runs past the
 * frame.
 */
function attachBlobs(messages: unknown[], bytes: Buffer, from: number): number {
  let at = from;
  for (const value of messages) {
    if (typeof value !== 'object' || value === null) continue;
    const message = value as Record<string, unknown>;
    const field =
      message.type === MessageType.Append
        ? 'entries'
        : message.type === MessageType.InstallSnapshot
          ? 'data'
          : undefined;
    if (field === undefined || typeof message[field] !== 'number') continue;
    const size = message[field] as number;
    if (!Number.isSafeInteger(size) || size < 0 || at + size > bytes.byteLength) return -1;
    const blob = bytes.subarray(at, at + size);
    at += size;
    // A malformed entries block stays a Buffer: the validator refuses it (not an array).
    message[field] =
      field === 'entries' ? (unpackEntries(blob, message.prevLogIndex) ?? blob) : blob;
  }
  return at;
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
