import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { initChecksums } from '../../src/record-batch/checksums.ts';
import {
  crc32c,
  crc32cImplementation,
  crc32cJavaScript,
  crc32cReference,
  nativeCrc32cBytesMin,
} from '../../src/record-batch/crc32c.ts';

function filled(length: number, byteAt: (index: number) => number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => byteAt(index));
}

/** `length` bytes placed `shift` bytes into a larger buffer, so every alignment occurs. */
function shifted(bytes: Uint8Array, shift: number): Uint8Array {
  const host = new Uint8Array(bytes.length + 8);
  host.set(bytes, shift);
  return host.subarray(shift, shift + bytes.length);
}

function rangeOf(length: number, a: number, b: number): [number, number] {
  const start = length === 0 ? 0 : a % (length + 1);
  const end = start + (length === 0 ? 0 : b % (length - start + 1));
  return [start, end];
}

test.before(async () => {
  await initChecksums();
});

test('the native CRC-32C is installed on this platform (linux-x64 ships a binary)', (t) => {
  // Where @node-rs/crc32 ships no binary, crc32c falls back to JavaScript and says so.
  if (process.platform === 'linux' && process.arch === 'x64') {
    t.is(crc32cImplementation(), 'native');
  } else t.pass();
});

const rfc3720Vectors: ReadonlyArray<[Uint8Array, number]> = [
  [filled(32, () => 0), 0x8a9136aa],
  [filled(32, () => 0xff), 0x62a8ab43],
  [filled(32, (i) => i), 0x46dd794e],
  [filled(32, (i) => 31 - i), 0x113fdb5c],
  [new TextEncoder().encode('123456789'), 0xe3069283],
  [new Uint8Array(), 0],
];

test('CRC-32C matches the RFC 3720 (iSCSI) test vectors, in both implementations', (t) => {
  for (const [bytes, expected] of rfc3720Vectors) {
    t.is(crc32c(bytes), expected);
    t.is(crc32cJavaScript(bytes), expected);
  }
  // Long enough for the native path: 32 zero bytes repeated, extended from a seed.
  const zeros = new Uint8Array(nativeCrc32cBytesMin * 4);
  t.is(crc32c(zeros), crc32cReference(zeros));
  t.is(crc32c(zeros, 32, zeros.length, 0x8a9136aa), crc32cReference(zeros));
});

test('crc32c and the JavaScript implementation agree with the reference on any range', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      fc.nat(),
      fc.nat(),
      fc.nat({ max: 7 }),
      (bytes, a, b, shift) => {
        const data = shifted(bytes, shift);
        const [start, end] = rangeOf(bytes.length, a, b);
        const expected = crc32cReference(data, start, end);
        return (
          crc32c(data, start, end) === expected && crc32cJavaScript(data, start, end) === expected
        );
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('a CRC can be extended chunk by chunk, across both implementations', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 4000 }),
      fc.nat(),
      fc.nat({ max: 7 }),
      (bytes, cut, shift) => {
        const data = shifted(bytes, shift);
        const at = bytes.length === 0 ? 0 : cut % bytes.length;
        const whole = crc32cReference(data);
        const head = crc32c(data, 0, at);
        return (
          crc32c(data, at, data.length, head) === whole &&
          crc32cJavaScript(data, at, data.length, head) === whole &&
          crc32c(data, at, data.length, crc32cJavaScript(data, 0, at)) === whole
        );
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('a range outside the bytes is a programmer error', (t) => {
  const bytes = new Uint8Array(10);
  t.throws(() => crc32c(bytes, 0, 11), { message: /end/ });
  t.throws(() => crc32c(bytes, 5, 4), { message: /start/ });
  t.throws(() => crc32c(bytes, -1, 4), { message: /start/ });
});

test('without its native binary, crc32c says so loudly and stays correct', (t) => {
  // @node-rs/crc32 loads only the binary named by NAPI_RS_NATIVE_LIBRARY_PATH when set:
  // pointing it at nothing is a real failure to load, as on a platform without a binary.
  const checksums = fileURLToPath(new URL('../../src/record-batch/checksums.ts', import.meta.url));
  const crc = fileURLToPath(new URL('../../src/record-batch/crc32c.ts', import.meta.url));
  const script = `
    const { initChecksums } = await import(${JSON.stringify(checksums)});
    const { crc32c, crc32cImplementation } = await import(${JSON.stringify(crc)});
    await initChecksums();
    const bytes = new Uint8Array(1000).map((_, i) => i * 7);
    console.log(crc32cImplementation(), crc32c(bytes).toString(16));
  `;
  const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/crc32.node' },
    timeout: 120_000,
  });
  t.is(child.status, 0, child.stderr);
  t.regex(child.stderr, /WARNING: native CRC-32C \(@node-rs\/crc32\) unavailable/);
  t.regex(child.stderr, /Cannot find native binding/);
  const expected = crc32cReference(new Uint8Array(1000).map((_, i) => i * 7)).toString(16);
  t.is(child.stdout.trim(), `javascript ${expected}`);
});
