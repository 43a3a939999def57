import test from 'ava';
import fc from 'fast-check';
import { SerdeError, Serdes, windowedSerde } from '../src/index.ts';

test('serdes round-trip their values', (t) => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.double(),
      fc.uint8Array(),
      fc.jsonValue(),
      (text, number, bytes, json) => {
        t.is(Serdes.string().deserialize(Serdes.string().serialize(text)), text);
        t.true(Object.is(Serdes.number().deserialize(Serdes.number().serialize(number)), number));
        t.deepEqual(Serdes.bytes().deserialize(Serdes.bytes().serialize(bytes)), bytes);
        t.deepEqual(
          Serdes.json().deserialize(Serdes.json().serialize(json)),
          JSON.parse(JSON.stringify(json)),
        );
      },
    ),
  );
});

test('windowed keys round-trip and keep their window', (t) => {
  const serde = windowedSerde(Serdes.string());
  fc.assert(
    fc.property(
      fc.string(),
      fc.nat({ max: 2 ** 40 }),
      fc.nat({ max: 2 ** 20 }),
      (key, start, size) => {
        const value = { key, window: { start, end: start + size } };
        t.deepEqual(serde.deserialize(serde.serialize(value)), value);
      },
    ),
  );
});

test('bad bytes are a SerdeError, never a crash', (t) => {
  t.throws(() => Serdes.number().deserialize(new Uint8Array(3)), { instanceOf: SerdeError });
  t.throws(() => Serdes.string().deserialize(new Uint8Array([0xff, 0xfe])), {
    instanceOf: SerdeError,
  });
  t.throws(() => Serdes.json().deserialize(new TextEncoder().encode('{nope')), {
    instanceOf: SerdeError,
  });
  t.throws(() => windowedSerde(Serdes.string()).deserialize(new Uint8Array(4)), {
    instanceOf: SerdeError,
  });
  t.throws(() => Serdes.string().serialize(5 as never), { instanceOf: SerdeError });
});
