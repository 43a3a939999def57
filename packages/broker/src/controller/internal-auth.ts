/**
 * Authentication of internal broker-to-controller requests: an HMAC-SHA256 under the
 * cluster secret over [api, nodeId, timestampMs, payload]. The secret never travels; a
 * request older than `internalRequestAgeMsMax` (or from the future by as much) is refused,
 * so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { internalRequestAgeMsMax } from '@tributary/protocol';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export interface InternalEnvelope {
  readonly nodeId: number;
  readonly timestampMs: number;
  readonly mac: Uint8Array;
}

/** Key order differs between sender and validated receiver, so sign a sorted form. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  return Object.keys(value)
    .sort()
    .map((key) => [key, canonical((value as Record<string, unknown>)[key])]);
}

function digest(
  secret: string,
  api: number,
  nodeId: number,
  timestampMs: number,
  payload: unknown,
): Buffer {
  return createHmac('sha256', secret)
    .update(packr.pack([api, nodeId, timestampMs, canonical(payload)]))
    .digest();
}

export function signInternal<P extends object>(options: {
  secret: string;
  api: number;
  nodeId: number;
  nowMs: number;
  payload: P;
}): P & InternalEnvelope {
  const mac = digest(options.secret, options.api, options.nodeId, options.nowMs, options.payload);
  return { ...options.payload, nodeId: options.nodeId, timestampMs: options.nowMs, mac };
}

/** Returns undefined when authentic, or the reason it is not. */
export function verifyInternal(options: {
  secret: string;
  api: number;
  nowMs: number;
  request: InternalEnvelope & object;
}): string | undefined {
  const { nodeId, timestampMs, mac, ...payload } = options.request;
  if (Math.abs(options.nowMs - timestampMs) > internalRequestAgeMsMax)
    return 'request too old or from the future';
  const expected = digest(options.secret, options.api, nodeId, timestampMs, payload);
  if (mac.byteLength !== expected.byteLength) return 'bad signature';
  return timingSafeEqual(Buffer.from(mac), expected) ? undefined : 'bad signature';
}
