/**
 * The Produce request frame, encoded with the record batches by reference: the envelope and
 * every small field packed with msgpackr, each partition's `records` written behind a bin
 * header of its own, and all of it copied once into one buffer of the frame's exact size.
 * The bytes decode as the same request frame (see frame.ts) as `packr.pack` of it would.
 *
 * Why: a Produce request carries hundreds of KB of batches. Packed whole, msgpackr copies
 * them into its own buffer and, whenever a frame does not fit the buffer it has, first
 * allocates a fresh one four times the frame's size; here they are copied once, into an
 * allocation of exactly the frame's size.
 */
import { Api } from '../messages/apis.ts';
import type { ProduceRequest } from '../messages/produce.ts';
import {
  arrayHeader,
  arrayWithRoomForOne,
  binHeader,
  type FrameAllocator,
  freshFrame,
  joinPieces,
  mapWithRoomFor,
  piecesPackr as packr,
  topicPieces,
} from './msgpack-pieces.ts';

const requestKind = 0;

function produceBodyPieces(request: ProduceRequest, pieces: Uint8Array[]): void {
  pieces.push(
    ...mapWithRoomFor({ acks: request.acks, timeoutMs: request.timeoutMs }, 1),
    packr.pack('topics'),
    arrayHeader(request.topics.length),
  );
  for (const topic of request.topics) {
    pieces.push(...topicPieces(topic.name, topic.partitions.length));
    for (const { partition, records } of topic.partitions) {
      pieces.push(
        Uint8Array.of(0x82),
        packr.pack('partition'),
        packr.pack(partition),
        packr.pack('records'),
        binHeader(records.byteLength),
        records,
      );
    }
  }
}

/**
 * Whether `body` has the shape the pieces encoding walks (a caller may hand any value to
 * encodeRequest, a bad one included, to see the broker refuse it; those go through
 * msgpackr as they are).
 */
export function isProduceRequestShape(body: unknown): body is ProduceRequest {
  if (typeof body !== 'object' || body === null) return false;
  const topics = (body as { topics?: unknown }).topics;
  if (!Array.isArray(topics)) return false;
  return topics.every((topic: unknown) => {
    const partitions = (topic as { partitions?: unknown } | null)?.partitions;
    return (
      Array.isArray(partitions) &&
      partitions.every(
        (partition: unknown) =>
          (partition as { records?: unknown } | null)?.records instanceof Uint8Array,
      )
    );
  });
}

/**
 * The whole request frame `[0, correlationId, Api.Produce, version, request]`, in one
 * buffer from `allocate`.
 */
export function encodeProduceRequestFrame(
  correlationId: number,
  version: number,
  request: ProduceRequest,
  allocate: FrameAllocator = freshFrame,
): Uint8Array {
  const pieces = arrayWithRoomForOne([requestKind, correlationId, Api.Produce, version]);
  produceBodyPieces(request, pieces);
  return joinPieces(pieces, allocate);
}
