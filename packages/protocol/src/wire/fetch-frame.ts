/**
 * The Fetch response frame, encoded as pieces: the envelope and every small field packed
 * with msgpackr, the stored batches of each partition passed by reference. Written one
 * after another the pieces are exactly a response frame (see frame.ts) whose body is the
 * FetchResponse with each partition's `records` the batches concatenated, so any reader of
 * frames decodes it unchanged.
 *
 * Why: a fetch moves megabytes of batches; packing them as one `records` value needs them
 * concatenated first and then copied again into msgpackr's buffer. Here the caller copies
 * them once (or not at all), straight from the storage read into the frame.
 */
import { Packr } from 'msgpackr';
import type { FetchPartitionResult, FetchResponse } from '../messages/fetch.ts';
import { assert } from '../record-batch/assert.ts';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** A partition's answer with its records as the stored batches, not yet concatenated. */
export type FetchPartitionParts = Omit<FetchPartitionResult, 'records'> & {
  readonly records: readonly Uint8Array[];
};

export interface FetchResponseParts {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly FetchPartitionParts[];
  }[];
}

const responseKind = 1;

function arrayHeader(length: number): Uint8Array {
  if (length <= 15) return Uint8Array.of(0x90 | length);
  if (length <= 0xffff) return Uint8Array.of(0xdc, length >> 8, length & 0xff);
  const header = new Uint8Array(5);
  header[0] = 0xdd;
  new DataView(header.buffer).setUint32(1, length);
  return header;
}

function binHeader(length: number): Uint8Array {
  // bin32 always: a reader takes any bin width, and this keeps the header one shape.
  const header = new Uint8Array(5);
  header[0] = 0xc6;
  new DataView(header.buffer).setUint32(1, length);
  return header;
}

/** A map packed by msgpackr, re-announced with `extraKeys` more entries (written after it). */
function mapWithRoomFor(fields: Record<string, unknown>, extraKeys: number): Uint8Array[] {
  const packed = packr.pack(fields);
  let count: number;
  let headerBytes: number;
  if ((packed[0] as number) >= 0x80 && (packed[0] as number) <= 0x8f) {
    count = (packed[0] as number) & 0x0f;
    headerBytes = 1;
  } else {
    // msgpackr writes objects as map16 unless told otherwise.
    assert(packed[0] === 0xde, 'msgpackr packs a small object as a fixmap or map16');
    count = ((packed[1] as number) << 8) | (packed[2] as number);
    headerBytes = 3;
  }
  assert(count === Object.keys(fields).length, 'the map holds every field');
  const total = count + extraKeys;
  assert(total <= 0xffff, 'fetch maps are small');
  return [Uint8Array.of(0xde, total >> 8, total & 0xff), packed.subarray(headerBytes)];
}

function partitionPieces(result: FetchPartitionParts, pieces: Uint8Array[]): void {
  const { records, ...fields } = result;
  let recordBytes = 0;
  for (const batch of records) recordBytes += batch.byteLength;
  pieces.push(...mapWithRoomFor(fields, 1), packr.pack('records'), binHeader(recordBytes));
  for (const batch of records) pieces.push(batch);
}

/** The frame of a successful Fetch response, as pieces to write in order. */
export function encodeFetchResponseFrame(
  correlationId: number,
  response: FetchResponseParts,
): Uint8Array[] {
  // [kind, correlationId, errorCode 0, message nil, body]: the envelope's first four
  // elements packed as a 4-element array, re-announced as the 5 it is.
  const envelope = packr.pack([responseKind, correlationId, 0, null]);
  assert(envelope[0] === 0x94, 'msgpackr packs a short array as a fixarray');
  const pieces: Uint8Array[] = [Uint8Array.of(0x95), envelope.subarray(1)];
  pieces.push(Uint8Array.of(0x81), packr.pack('topics'), arrayHeader(response.topics.length));
  for (const topic of response.topics) {
    pieces.push(
      Uint8Array.of(0x82),
      packr.pack('name'),
      packr.pack(topic.name),
      packr.pack('partitions'),
      arrayHeader(topic.partitions.length),
    );
    for (const partition of topic.partitions) partitionPieces(partition, pieces);
  }
  return pieces;
}

/** The same response with each partition's batches concatenated (tests, small answers). */
export function joinFetchResponse(response: FetchResponseParts): FetchResponse {
  return {
    topics: response.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map(({ records, ...fields }) => {
        const joined = new Uint8Array(records.reduce((n, b) => n + b.byteLength, 0));
        let at = 0;
        for (const batch of records) {
          joined.set(batch, at);
          at += batch.byteLength;
        }
        return { ...fields, records: joined };
      }),
    })),
  };
}
