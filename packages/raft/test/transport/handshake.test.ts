import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  acceptorProof,
  decodeAuth,
  decodeChallenge,
  decodeWelcome,
  dialerProof,
  encodeAuth,
  encodeChallenge,
  encodeWelcome,
  proofMatches,
} from '../../src/transport/handshake.ts';

const packr = new Packr({ useRecords: false });
const secret = Buffer.from('0123456789abcdef0123456789abcdef');
const nonceA = new Uint8Array(32).fill(0xaa);
const nonceB = new Uint8Array(32).fill(0xbb);

test('golden bytes: a challenge from node 2', (t) => {
  const bytes = encodeChallenge({ acceptorId: 2, acceptorNonce: nonceB });
  // fixarray(4) 1 1 2 bin8(32) bb*32
  t.is(Buffer.from(bytes).toString('hex'), `94010102c420${'bb'.repeat(32)}`);
  t.deepEqual(decodeChallenge(bytes), { acceptorId: 2, acceptorNonce: Buffer.from(nonceB) });
});

test('both proofs verify with the secret and fail with any other secret, nonce, id or role', (t) => {
  const challenge = { acceptorId: 2, acceptorNonce: nonceB };
  const proof = dialerProof(secret, challenge, 1, nonceA);
  const auth = { dialerId: 1, acceptorId: 2, dialerNonce: nonceA, dialerProof: proof };
  const decoded = decodeAuth(encodeAuth(auth));
  t.truthy(decoded);
  t.true(
    proofMatches(
      dialerProof(secret, challenge, 1, nonceA),
      decoded?.dialerProof ?? new Uint8Array(),
    ),
  );
  const welcome = acceptorProof(secret, auth, nonceB);
  t.true(proofMatches(welcome, decodeWelcome(encodeWelcome(welcome)) ?? new Uint8Array()));
  const other = Buffer.from('another secret of the same length');
  t.false(proofMatches(dialerProof(other, challenge, 1, nonceA), proof));
  t.false(
    proofMatches(dialerProof(secret, { acceptorId: 2, acceptorNonce: nonceA }, 1, nonceA), proof),
    'fresh challenge',
  );
  t.false(proofMatches(dialerProof(secret, challenge, 3, nonceA), proof), 'another claimed id');
  t.false(proofMatches(welcome, proof), 'a dialer proof is not an acceptor proof (no reflection)');
});

test('handshake decoders reject anything but their exact shape', (t) => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      let bytes: Buffer;
      try {
        bytes = packr.pack(value);
      } catch {
        return;
      }
      t.is(decodeChallenge(bytes), undefined);
      t.is(decodeAuth(bytes), undefined);
      t.is(decodeWelcome(bytes), undefined);
    }),
  );
  t.is(decodeAuth(Buffer.from([0xc1])), undefined);
});
