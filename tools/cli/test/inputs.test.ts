import test from 'ava';
import fc from 'fast-check';
import { OperationError, UsageError } from '../src/errors.ts';
import { parseBrokerList, resolveBrokers } from '../src/input/brokers.ts';
import { formatDuration, parseDuration } from '../src/input/duration.ts';
import { parseInteger, parsePartitionList } from '../src/input/integer.ts';
import { parseKeyValue } from '../src/input/key-value.ts';
import { parseAcks } from '../src/produce/acks.ts';
import { parseRecordLine, unescapeDelimiter } from '../src/produce/record-line.ts';

test('durations: units, plain milliseconds, bounds', (t) => {
  t.is(parseDuration('250ms', '--timeout', 60_000), 250);
  t.is(parseDuration('1.5s', '--timeout', 60_000), 1_500);
  t.is(parseDuration('2m', '--timeout', 600_000), 120_000);
  t.is(parseDuration('700', '--timeout', 60_000), 700);
  for (const bad of ['', 's', '-1s', '10 parsecs', '0', '2h']) {
    t.throws(() => parseDuration(bad, '--timeout', 60_000), { instanceOf: UsageError }, bad);
  }
  t.is(formatDuration(1_500), '1.5s');
  t.is(formatDuration(800), '800ms');
});

test('brokers: flag, then environment, then the default; each host:port checked', (t) => {
  t.deepEqual(resolveBrokers('a:1, b:2', {}), ['a:1', 'b:2']);
  t.deepEqual(resolveBrokers(undefined, { TRIBUTARY_BROKERS: 'c:3' }), ['c:3']);
  t.deepEqual(resolveBrokers(undefined, {}), ['127.0.0.1:9092']);
  t.deepEqual(parseBrokerList('[::1]:9092', 'x'), ['[::1]:9092']);
  for (const bad of ['', ',', 'host', 'host:0', 'host:70000', 'a b:1', ':9092']) {
    t.throws(() => parseBrokerList(bad, '--brokers'), { instanceOf: UsageError }, bad);
  }
  t.throws(() => resolveBrokers(undefined, { TRIBUTARY_BROKERS: 'nope' }), {
    message: /TRIBUTARY_BROKERS: 'nope' is not host:port/,
  });
});

test('integers and partition lists', (t) => {
  t.is(parseInteger('42', 'n', { min: 0, max: 100 }), 42);
  for (const bad of ['4.2', '1e3', 'x', '101', '-1', '']) {
    t.throws(() => parseInteger(bad, 'n', { min: 0, max: 100 }), { instanceOf: UsageError }, bad);
  }
  t.deepEqual(parsePartitionList('0, 2,5'), [0, 2, 5]);
  t.throws(() => parsePartitionList('1,1'), { message: /repeats/ });
  t.throws(() => parsePartitionList('1,,2'), { instanceOf: UsageError });
});

test('key=value: split at the first =, empty values allowed, empty keys not', (t) => {
  t.deepEqual(parseKeyValue('a=b=c', '-H'), { key: 'a', value: 'b=c' });
  t.deepEqual(parseKeyValue('a=', '-H'), { key: 'a', value: '' });
  t.throws(() => parseKeyValue('novalue', '--header'), { message: /must be key=value/ });
  t.throws(() => parseKeyValue('=v', '--header'), { message: /empty key/ });
});

test('record lines: value only, key and value, tombstones only when asked', (t) => {
  const plain = { keyDelimiter: undefined, tombstone: false };
  const keyed = { keyDelimiter: ':', tombstone: false };
  t.deepEqual(parseRecordLine('a:b', 1, plain), { key: null, value: 'a:b' });
  t.deepEqual(parseRecordLine('', 1, plain), { key: null, value: '' });
  t.deepEqual(parseRecordLine('k:v:w', 1, keyed), { key: 'k', value: 'v:w' });
  t.deepEqual(parseRecordLine(':v', 1, keyed), { key: '', value: 'v' });
  t.deepEqual(parseRecordLine('k:', 1, keyed), { key: 'k', value: '' });
  t.deepEqual(parseRecordLine('k:', 1, { ...keyed, tombstone: true }), { key: 'k', value: null });
  t.deepEqual(parseRecordLine('', 1, { ...plain, tombstone: true }), { key: null, value: null });
  const error = t.throws(() => parseRecordLine('no delimiter', 7, keyed), {
    instanceOf: OperationError,
  });
  t.regex(error.message, /line 7 has no key delimiter ':'/);
  t.is(unescapeDelimiter('\\t'), '\t');
});

test('a keyed line joins back to itself', (t) => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (key, value) => {
      fc.pre(!key.includes('|'));
      const line = `${key}|${value}`;
      const parsed = parseRecordLine(line, 1, { keyDelimiter: '|', tombstone: false });
      return parsed.key === key && parsed.value === value;
    }),
  );
  t.pass();
});

test('acks', (t) => {
  t.is(parseAcks('0'), 0);
  t.is(parseAcks('all'), 'all');
  t.throws(() => parseAcks('1'), { instanceOf: UsageError });
});
