/**
 * The peer handshake: mutual challenge-response over a cluster secret, the secret never
 * on the wire. The dialer is the peer with the lower node id.
 *
 *   acceptor -> dialer:   [1 challenge, version, acceptorId, acceptorNonce]
 *   dialer   -> acceptor: [2 auth, version, dialerId, acceptorId, dialerNonce, dialerProof]
 *   acceptor -> dialer:   [3 welcome, version, acceptorProof]
 *
 *   dialerProof   = HMAC-SHA256(secret, "tributary-peer-v1" 0 "dialer" 0 dialerId 0 acceptorId 0
 *                                       acceptorNonce dialerNonce)
 *   acceptorProof = HMAC-SHA256(secret, "tributary-peer-v1" 0 "acceptor" 0 acceptorId 0 dialerId 0
 *                                       dialerNonce acceptorNonce)
 *
 * Each side proves it knows the secret over a fresh nonce of the other side, so an old
 * handshake replayed fails; the role and both node ids are bound in, so a proof cannot
 * be reflected back or claimed for another identity. Messages are msgpack arrays,
 * checked strictly: anything else fails the handshake.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { NodeId } from '../core/types.ts';
import { nonceBytes } from './limits.ts';

export const handshakeVersion = 1;
export const HandshakeKind = { Challenge: 1, Auth: 2, Welcome: 3 } as const;

const proofBytes = 32;
const packr = new Packr({ useRecords: false, moreTypes: false });

export interface Challenge {
  readonly acceptorId: NodeId;
  readonly acceptorNonce: Uint8Array;
}

export interface Auth {
  readonly dialerId: NodeId;
  readonly acceptorId: NodeId;
  readonly dialerNonce: Uint8Array;
  readonly dialerProof: Uint8Array;
}

export function newNonce(): Uint8Array {
  return randomBytes(nonceBytes);
}

function proof(
  secret: Uint8Array,
  role: 'dialer' | 'acceptor',
  selfId: NodeId,
  otherId: NodeId,
  otherNonce: Uint8Array,
  selfNonce: Uint8Array,
): Buffer {
  const hmac = createHmac('sha256', secret);
  hmac.update(`tributary-peer-v1\0${role}\0${selfId}\0${otherId}\0`);
  hmac.update(otherNonce);
  hmac.update(selfNonce);
  return hmac.digest();
}

export function dialerProof(
  secret: Uint8Array,
  challenge: Challenge,
  dialerId: NodeId,
  dialerNonce: Uint8Array,
) {
  return proof(
    secret,
    'dialer',
    dialerId,
    challenge.acceptorId,
    challenge.acceptorNonce,
    dialerNonce,
  );
}

export function acceptorProof(secret: Uint8Array, auth: Auth, acceptorNonce: Uint8Array) {
  return proof(secret, 'acceptor', auth.acceptorId, auth.dialerId, auth.dialerNonce, acceptorNonce);
}

export function proofMatches(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.byteLength === received.byteLength && timingSafeEqual(expected, received);
}

export function encodeChallenge(challenge: Challenge): Buffer {
  return packr.pack([
    HandshakeKind.Challenge,
    handshakeVersion,
    challenge.acceptorId,
    challenge.acceptorNonce,
  ]);
}

export function encodeAuth(auth: Auth): Buffer {
  const { dialerId, acceptorId, dialerNonce, dialerProof: proofBytesValue } = auth;
  return packr.pack([
    HandshakeKind.Auth,
    handshakeVersion,
    dialerId,
    acceptorId,
    dialerNonce,
    proofBytesValue,
  ]);
}

export function encodeWelcome(acceptorProofValue: Uint8Array): Buffer {
  return packr.pack([HandshakeKind.Welcome, handshakeVersion, acceptorProofValue]);
}

function isNodeId(value: unknown): value is NodeId {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === length;
}

function decodeArray(bytes: Buffer, kind: number, length: number): unknown[] | undefined {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== length) return undefined;
  if (value[0] !== kind || value[1] !== handshakeVersion) return undefined;
  return value;
}

export function decodeChallenge(bytes: Buffer): Challenge | undefined {
  const value = decodeArray(bytes, HandshakeKind.Challenge, 4);
  if (value === undefined || !isNodeId(value[2]) || !isBytes(value[3], nonceBytes))
    return undefined;
  return { acceptorId: value[2], acceptorNonce: value[3] };
}

export function decodeAuth(bytes: Buffer): Auth | undefined {
  const value = decodeArray(bytes, HandshakeKind.Auth, 6);
  if (value === undefined) return undefined;
  const [, , dialerId, acceptorId, dialerNonce, dialerProofValue] = value;
  if (!isNodeId(dialerId) || !isNodeId(acceptorId)) return undefined;
  if (!isBytes(dialerNonce, nonceBytes) || !isBytes(dialerProofValue, proofBytes)) return undefined;
  return { dialerId, acceptorId, dialerNonce, dialerProof: dialerProofValue };
}

export function decodeWelcome(bytes: Buffer): Uint8Array | undefined {
  const value = decodeArray(bytes, HandshakeKind.Welcome, 3);
  if (value === undefined || !isBytes(value[2], proofBytes)) return undefined;
  return value[2];
}
