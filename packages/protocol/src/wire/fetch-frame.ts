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
import type { FetchPartitionResult, FetchResponse } from '../messages/fetch.ts';
import {
  arrayHeader,
  arrayWithRoomForOne,
  binHeader,
  joinPieces,
  mapWithRoomFor,
  piecesPackr as packr,
  topicPieces,
} from './msgpack-pieces.ts';

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
  const pieces: Uint8Array[] = arrayWithRoomForOne([responseKind, correlationId, 0, null]);
  pieces.push(Uint8Array.of(0x81), packr.pack('topics'), arrayHeader(response.topics.length));
  for (const topic of response.topics) {
    pieces.push(...topicPieces(topic.name, topic.partitions.length));
    for (const partition of topic.partitions) partitionPieces(partition, pieces);
  }
  return pieces;
}

/** The same response with each partition's batches concatenated (tests, small answers). */
export function joinFetchResponse(response: FetchResponseParts): FetchResponse {
  return {
    topics: response.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map(({ records, ...fields }) => ({
        ...fields,
        records: joinPieces(records, (bytes) => new Uint8Array(bytes)),
      })),
    })),
  };
}
