/**
 * A raw WebSocket peer for tests against a real node process: it completes the
 * challenge-response handshake itself (so it can then send bytes no PeerTransport would).
 */
import WebSocket from 'ws';
import {
  acceptorProof,
  decodeChallenge,
  decodeWelcome,
  dialerProof,
  encodeAuth,
  newNonce,
  proofMatches,
} from '../../src/transport/handshake.ts';

const handshakeStepTimeoutMs = 30_000;

function nextMessage(socket: WebSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no handshake message within ${handshakeStepTimeoutMs} ms`));
    }, handshakeStepTimeoutMs);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(data as Buffer);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('closed during the handshake'));
    });
  });
}

/** Dials `url` as node `dialerId` with `secret`; resolves with the authenticated socket. */
export async function dialAuthenticated(options: {
  readonly url: string;
  readonly secret: string;
  readonly dialerId: number;
}): Promise<WebSocket> {
  const socket = new WebSocket(options.url, {
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
  });
  socket.on('error', () => {});
  const firstMessage = nextMessage(socket);
  const challenge = decodeChallenge(await firstMessage);
  if (challenge === undefined) throw new Error('no challenge from the node');
  const secret = Buffer.from(options.secret);
  const dialerNonce = newNonce();
  const auth = {
    dialerId: options.dialerId,
    acceptorId: challenge.acceptorId,
    dialerNonce,
    dialerProof: dialerProof(secret, challenge, options.dialerId, dialerNonce),
  };
  const welcomeMessage = nextMessage(socket);
  socket.send(encodeAuth(auth));
  const welcome = decodeWelcome(await welcomeMessage);
  if (
    welcome === undefined ||
    !proofMatches(acceptorProof(secret, auth, challenge.acceptorNonce), welcome)
  )
    throw new Error('the node did not prove it knows the secret');
  return socket;
}
