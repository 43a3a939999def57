import test from 'ava';
import { InvalidArgumentError } from '../../src/errors.ts';
import { normalizeMessage } from '../../src/producer/message.ts';

test('strings, buffers, headers and timestamps become record input', (t) => {
  const normalized = normalizeMessage(
    {
      key: 'k',
      value: Buffer.from('v'),
      headers: { trace: 'abc', tags: ['x', Buffer.from('y')], skip: undefined },
      timestamp: '1700000000000',
    },
    5,
  );
  t.deepEqual([...(normalized.record.key ?? [])], [107]);
  t.is(normalized.record.timestamp, 1_700_000_000_000);
  t.deepEqual(
    normalized.record.headers?.map((h) => [h.key, Buffer.from(h.value ?? []).toString()]),
    [
      ['trace', 'abc'],
      ['tags', 'x'],
      ['tags', 'y'],
    ],
  );
  t.true(normalized.sizeBytes >= 2);
  t.is(normalizeMessage({ value: null }, 42).record.timestamp, 42, 'default timestamp is now');
  t.is(normalizeMessage({ value: 'x', timestamp: new Date(7) }, 0).record.timestamp, 7);
  t.is(normalizeMessage({ value: 'x', timestamp: 9n }, 0).record.timestamp, 9);
});

test('bad messages are INVALID_ARGUMENT', (t) => {
  const bad: unknown[] = [
    null,
    { value: 42 },
    { value: 'x', key: {} },
    { value: 'x', timestamp: 'soon' },
    { value: 'x', partition: -1 },
    { value: 'x', headers: [{ key: 3, value: 'v' }] },
    // Past the record codec's bounds: refused here, not when the batch is encoded later.
    { value: 'x', headers: Array.from({ length: 65_537 }, () => ({ key: 'h', value: null })) },
    { value: 'x', timestamp: Number.MAX_SAFE_INTEGER },
  ];
  for (const message of bad) {
    t.throws(() => normalizeMessage(message as never, 0), { instanceOf: InvalidArgumentError });
  }
});
