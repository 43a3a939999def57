import type { ConsumerMessage } from '@tributary/client';
import test from 'ava';
import fc from 'fast-check';
import { UsageError } from '../src/errors.ts';
import { recordToJson } from '../src/format/record-json.ts';
import { compileTemplate, renderTemplate } from '../src/format/template.ts';

const message: ConsumerMessage = {
  topic: 'orders',
  partition: 2,
  offset: 41n,
  timestamp: Date.UTC(2024, 4, 1, 12, 0, 0),
  key: Buffer.from('user-1'),
  value: Buffer.from('hello world'),
  headers: { source: Buffer.from('cli'), tag: [Buffer.from('a'), Buffer.from('b')] },
};

const tombstone: ConsumerMessage = { ...message, key: null, value: null, headers: {} };

const render = (source: string, m = message) => renderTemplate(compileTemplate(source), m, 'utf8');

test('every placeholder renders its field', (t) => {
  t.is(render('%t %p %o'), 'orders 2 41');
  t.is(render('%k=%v'), 'user-1=hello world');
  t.is(render('%h'), 'source=cli,tag=a,tag=b');
  t.is(render('%d'), String(Date.UTC(2024, 4, 1, 12, 0, 0)));
  t.is(render('%D'), '2024-05-01T12:00:00.000Z');
  t.is(render('%K %V'), '6 11');
});

test('escapes and %% are literal text; nothing is added at the end', (t) => {
  t.is(render('%p\\t%o\\n'), '2\t41\n');
  t.is(render('100%% \\\\ \\r'), '100% \\ \r');
  t.is(render('%v'), 'hello world');
});

test('a null key and a tombstone print empty, with length -1', (t) => {
  t.is(render('[%k][%v][%h] %K %V', tombstone), '[][][] -1 -1');
});

test('encodings apply to keys, values and header values', (t) => {
  const template = compileTemplate('%k %v %h');
  t.is(
    renderTemplate(template, message, 'hex'),
    '757365722d31 68656c6c6f20776f726c64 source=636c69,tag=61,tag=62',
  );
  t.is(renderTemplate(compileTemplate('%v'), message, 'base64'), 'aGVsbG8gd29ybGQ=');
});

test('bad templates are usage errors naming the problem and column', (t) => {
  const cases: [string, RegExp][] = [
    ['%x', /unknown placeholder %x at column 1/],
    ['ab\\q', /unknown escape \\q at column 3/],
    ['%p %', /a lone '%' at the end/],
    ['x\\', /a lone '\\' at the end/],
  ];
  for (const [source, expected] of cases) {
    const error = t.throws(() => compileTemplate(source), { instanceOf: UsageError });
    t.regex(error.message, expected, source);
  }
});

test('text without % or \\ renders unchanged', (t) => {
  fc.assert(
    fc.property(
      fc.string().filter((s) => !s.includes('%') && !s.includes('\\')),
      (text) => render(text) === text,
    ),
  );
  t.pass();
});

test('JSON records carry nulls for absent key and value, arrays for repeated headers', (t) => {
  t.deepEqual(recordToJson(message, 'utf8'), {
    topic: 'orders',
    partition: 2,
    offset: 41n,
    timestamp: message.timestamp,
    key: 'user-1',
    value: 'hello world',
    headers: { source: 'cli', tag: ['a', 'b'] },
  });
  const json = recordToJson(tombstone, 'utf8');
  t.is(json.key, null);
  t.is(json.value, null);
});
