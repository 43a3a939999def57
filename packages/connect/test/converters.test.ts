import test from 'ava';
import fc from 'fast-check';
import { bytesConverter, jsonConverter, RecordError, stringConverter } from '../src/index.ts';

test('json round-trips JSON values and keeps null as null', (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const bytes = jsonConverter.toBytes(value);
      if (value === null) return bytes === null;
      return (
        JSON.stringify(jsonConverter.fromBytes(bytes)) ===
        JSON.stringify(JSON.parse(JSON.stringify(value)))
      );
    }),
  );
  t.is(jsonConverter.fromBytes(null), null);
});

test('json writes bigints as numbers when exact, as text otherwise, and bytes as base64', (t) => {
  const bytes = jsonConverter.toBytes({
    small: 42n,
    large: 2n ** 70n,
    blob: Buffer.from([1, 2, 255]),
  });
  t.deepEqual(JSON.parse(bytes!.toString()), {
    small: 42,
    large: '1180591620717411303424',
    blob: 'AQL/',
  });
});

test('json refuses what is not JSON with a RecordError, not a crash', (t) => {
  const error = t.throws(() => jsonConverter.fromBytes(Buffer.from('{"a":')), {
    instanceOf: RecordError,
  });
  t.is(error?.code, 'CONVERSION_FAILED');
  t.throws(() => jsonConverter.toBytes(() => 1), { instanceOf: RecordError });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => jsonConverter.toBytes(cyclic), { instanceOf: RecordError });
});

test('string converts text, numbers and booleans; refuses objects and invalid UTF-8', (t) => {
  t.is(stringConverter.toBytes('héllo')!.toString('utf8'), 'héllo');
  t.is(stringConverter.toBytes(12)!.toString(), '12');
  t.is(stringConverter.fromBytes(Buffer.from('héllo')), 'héllo');
  t.throws(() => stringConverter.toBytes({ a: 1 }), { instanceOf: RecordError });
  t.throws(() => stringConverter.fromBytes(Buffer.from([0xff, 0xfe])), { instanceOf: RecordError });
});

test('bytes passes bytes through and copies what it reads', (t) => {
  const source = Buffer.from('abc');
  const read = bytesConverter.fromBytes(source) as Buffer;
  source[0] = 0x7a;
  t.is(read.toString(), 'abc');
  t.deepEqual(bytesConverter.toBytes(new Uint8Array([1, 2])), Buffer.from([1, 2]));
  t.throws(() => bytesConverter.toBytes(5), { instanceOf: RecordError });
});
