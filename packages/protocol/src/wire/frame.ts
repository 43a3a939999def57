/**
 * The envelope of every client-protocol WebSocket message (one binary frame each),
 * encoded with msgpackr:
 *
 *   request  = [0, correlationId: uint32, api: int, version: int, body: map]
 *   response = [1, correlationId: uint32, errorCode: int, message: string | nil, body: map | nil]
 *
 * A response's top-level error (errorCode ≠ 0) fails the whole request: UNSUPPORTED_VERSION,
 * INVALID_REQUEST for a body that fails its schema, and so on. Per-partition errors travel
 * inside the body. Responses may arrive in any order; the correlation id pairs them.
 */
import { Packr } from 'msgpackr';
import { ErrorCode, ProtocolError } from '../errors.ts';
import { frameBytesMax } from '../limits.ts';
import { Api, apiDefinitions, isApi, type RequestOf, type ResponseOf } from '../messages/apis.ts';
import type { FrameAllocator } from './msgpack-pieces.ts';
import { encodeProduceRequestFrame, isProduceRequestShape } from './produce-frame.ts';
import { SchemaViolation } from './schema.ts';

const requestKind = 0;
const responseKind = 1;
export const correlationIdMax = 2 ** 32 - 1;

/** One codec instance: plain maps, no msgpackr records or extensions, so bytes are stable. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export interface RequestFrame<A extends Api = Api> {
  readonly correlationId: number;
  readonly api: A;
  readonly version: number;
  readonly body: RequestOf<A>;
}

export type DecodedRequest =
  | { readonly ok: true; readonly frame: RequestFrame }
  | {
      readonly ok: false;
      readonly correlationId: number | undefined;
      readonly error: ProtocolError;
    };

export interface ResponseFrameHead {
  readonly correlationId: number;
  readonly errorCode: number;
  readonly message: string | null;
  readonly body: unknown;
}

/**
 * A request frame. A Produce request is written into memory from `allocate` (see
 * produce-frame.ts); any other is a view into msgpackr's own buffer.
 */
export function encodeRequest<A extends Api>(
  frame: RequestFrame<A>,
  allocate?: FrameAllocator,
): Uint8Array {
  if (frame.api === Api.Produce && isProduceRequestShape(frame.body)) {
    // Batches by reference, copied once (see produce-frame.ts); the same request to a reader.
    return encodeProduceRequestFrame(frame.correlationId, frame.version, frame.body, allocate);
  }
  return packr.pack([requestKind, frame.correlationId, frame.api, frame.version, frame.body]);
}

export function encodeResponse(head: ResponseFrameHead): Uint8Array {
  return packr.pack([responseKind, head.correlationId, head.errorCode, head.message, head.body]);
}

function invalid(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidRequest, message, { cause });
}

function unpackFrame(bytes: Uint8Array): unknown[] {
  if (bytes.byteLength > frameBytesMax) throw invalid(`frame of ${bytes.byteLength} bytes`);
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (cause) {
    throw invalid('frame is not valid msgpack', cause);
  }
  if (!Array.isArray(value) || value.length !== 5) throw invalid('frame is not a 5-element array');
  return value;
}

function isCorrelationId(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= correlationIdMax
  );
}

/** Decodes and validates a request; never throws. */
export function decodeRequest(bytes: Uint8Array): DecodedRequest {
  let parts: unknown[];
  try {
    parts = unpackFrame(bytes);
  } catch (error) {
    return { ok: false, correlationId: undefined, error: error as ProtocolError };
  }
  const [kind, correlationId, api, version, body] = parts;
  if (!isCorrelationId(correlationId)) {
    return { ok: false, correlationId: undefined, error: invalid('bad correlation id') };
  }
  const fail = (error: ProtocolError): DecodedRequest => ({ ok: false, correlationId, error });
  if (kind !== requestKind) return fail(invalid('not a request frame'));
  if (typeof api !== 'number' || !isApi(api)) {
    return fail(new ProtocolError(ErrorCode.UnsupportedVersion, `unknown api ${String(api)}`));
  }
  const definition = apiDefinitions[api];
  if (
    typeof version !== 'number' ||
    version < definition.minVersion ||
    version > definition.maxVersion
  ) {
    const range = `${definition.minVersion}..${definition.maxVersion}`;
    return fail(
      new ProtocolError(
        ErrorCode.UnsupportedVersion,
        `${definition.name} version ${String(version)} (supported ${range})`,
      ),
    );
  }
  try {
    const checked = definition.request.check(body, '') as RequestOf<typeof api>;
    return { ok: true, frame: { correlationId, api, version, body: checked } };
  } catch (error) {
    if (error instanceof SchemaViolation)
      return fail(invalid(`${definition.name}: ${error.message}`));
    throw error;
  }
}

/** Reads only the envelope of a response, so the caller can find which request it answers. */
export function decodeResponseHead(bytes: Uint8Array): ResponseFrameHead {
  const [kind, correlationId, errorCode, message, body] = unpackFrame(bytes);
  if (kind !== responseKind) throw invalid('not a response frame');
  if (!isCorrelationId(correlationId)) throw invalid('bad correlation id');
  if (typeof errorCode !== 'number' || !Number.isInteger(errorCode))
    throw invalid('bad error code');
  if (message !== null && typeof message !== 'string') throw invalid('bad error message');
  return { correlationId, errorCode, message, body };
}

/** Validates a response body against the schema of the API it answers. */
export function checkResponseBody<A extends Api>(api: A, body: unknown): ResponseOf<A> {
  try {
    return apiDefinitions[api].response.check(body, '') as ResponseOf<A>;
  } catch (error) {
    if (error instanceof SchemaViolation) {
      throw invalid(`${apiDefinitions[api].name} response: ${error.message}`, error);
    }
    throw error;
  }
}
