import test from 'ava';
import fc from 'fast-check';
import { type Origin, originHeader, originHeaderKey, readOrigin } from '../src/engine/origin.ts';

const topicName = fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/);
const field = fc.oneof(fc.nat(1000), fc.maxSafeNat());
const origin = fc.record({ topic: topicName, partition: field, offset: field, sequence: field });

/** The documented header text, formatted independently of originHeader: the format on disk. */
const textOf = (o: Origin) => `${o.topic} ${o.partition} ${o.offset} ${o.sequence}`;
const headerWith = (text: string) => [{ key: originHeaderKey, value: Buffer.from(text, 'latin1') }];

test('the header holds exactly the documented text, and reads back as the same origin', (t) => {
  fc.assert(
    fc.property(origin, (o) => {
      const header = originHeader(o);
      t.is(header.key, originHeaderKey);
      t.is(Buffer.from(header.value!).toString('latin1'), textOf(o));
      t.deepEqual(readOrigin([header]), o);
      // Headers written by earlier versions read the same.
      t.deepEqual(readOrigin(headerWith(textOf(o))), o);
    }),
  );
});

test('origins of different topics read back with their own topic', (t) => {
  const a = { topic: 'words', partition: 1, offset: 7, sequence: 0 };
  const b = { topic: 'lines', partition: 2, offset: 9, sequence: 3 };
  const c = { topic: 'wordz', partition: 1, offset: 7, sequence: 0 };
  for (const o of [a, b, a, c, c, b]) t.deepEqual(readOrigin([originHeader(o)]), o);
});

test('a topic name read earlier does not change when the bytes it was read from are reused', (t) => {
  const reused = Buffer.from('words 0 1 0', 'latin1');
  t.is(readOrigin([{ key: originHeaderKey, value: reused }])?.topic, 'words');
  reused.write('lines', 0, 'latin1');
  t.is(readOrigin(headerWith('lines 0 1 0'))?.topic, 'lines');
  t.is(readOrigin(headerWith('words 0 1 0'))?.topic, 'words');
});

test('the origin header is found among other headers; none or a null value is no origin', (t) => {
  const o = { topic: 't', partition: 0, offset: 5, sequence: 2 };
  const other = { key: 'trace', value: Buffer.from('x') };
  t.deepEqual(readOrigin([other, originHeader(o)]), o);
  t.is(readOrigin([other]), undefined);
  t.is(readOrigin([]), undefined);
  t.is(readOrigin([{ key: originHeaderKey, value: null }]), undefined);
});

test('malformed origins are refused, never read as something else', (t) => {
  const malformed = [
    '',
    't',
    't 1 2',
    't 1 2 3 4',
    't 1 2 3 ',
    ' 1 2 3',
    't  1 2 3',
    't 1 2 -3',
    't 1 0x10 3',
    't 1 1e3 3',
    't 1 2.5 3',
    't 1 2 9007199254740992',
    't 1 2 99999999999999999999',
    't a 2 3',
  ];
  for (const text of malformed) t.is(readOrigin(headerWith(text)), undefined, text);
});

test('an origin with fields no input record has is written as text and read as malformed', (t) => {
  const made = { topic: 't', partition: 0, offset: -1, sequence: 0 };
  const header = originHeader(made);
  t.is(Buffer.from(header.value!).toString('latin1'), 't 0 -1 0');
  t.is(readOrigin([header]), undefined);
});
