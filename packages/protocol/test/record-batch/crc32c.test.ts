import test from 'ava';
import fc from 'fast-check';
import { crc32c, crc32cReference } from '../../src/record-batch/crc32c.ts';

function filled(length: number, byteAt: (index: number) => number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => byteAt(index));
}

test('CRC-32C matches the RFC 3720 (iSCSI) test vectors', (t) => {
  t.is(crc32c(filled(32, () => 0)), 0x8a9136aa);
  t.is(crc32c(filled(32, () => 0xff)), 0x62a8ab43);
  t.is(crc32c(filled(32, (i) => i)), 0x46dd794e);
  t.is(crc32c(filled(32, (i) => 31 - i)), 0x113fdb5c);
  t.is(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  t.is(crc32c(new Uint8Array()), 0);
});

test('slicing-by-16 agrees with the bit-at-a-time reference on any range', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 600 }),
      fc.nat(),
      fc.nat(),
      fc.nat({ max: 7 }),
      (bytes, a, b, shift) => {
        // Shift the data inside a larger buffer so every alignment is exercised.
        const host = new Uint8Array(bytes.length + 8);
        host.set(bytes, shift);
        const data = host.subarray(shift, shift + bytes.length);
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        return crc32c(data, start, end) === crc32cReference(data, start, end);
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('a CRC can be extended chunk by chunk', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1000 }), fc.nat(), (bytes, cut) => {
      const at = bytes.length === 0 ? 0 : cut % bytes.length;
      const whole = crc32c(bytes);
      return crc32c(bytes, at, bytes.length, crc32c(bytes, 0, at)) === whole;
    }),
  );
  t.pass();
});
