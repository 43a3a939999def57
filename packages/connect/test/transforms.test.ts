import test from 'ava';
import {
  applyTransforms,
  ConfigError,
  type ConnectRecord,
  parseTransforms,
  RecordError,
} from '../src/index.ts';

const record = (value: unknown, extra: Partial<ConnectRecord> = {}): ConnectRecord => ({
  topic: 'orders',
  key: { id: 1 },
  value,
  headers: {},
  timestamp: 1_700_000_000_000,
  ...extra,
});

test('renameField renames the value fields it names and leaves the rest', (t) => {
  const chain = parseTransforms([{ type: 'renameField', renames: { cust: 'customer' } }]);
  t.deepEqual(applyTransforms(chain, record({ cust: 'ada', total: 3 })).value, {
    customer: 'ada',
    total: 3,
  });
});

test('maskField empties fields by type, or uses the replacement', (t) => {
  const empty = parseTransforms([{ type: 'maskField', fields: ['ssn', 'age', 'vip', 'card'] }]);
  t.deepEqual(
    applyTransforms(empty, record({ ssn: '123', age: 40, vip: true, card: { n: 1 }, name: 'x' }))
      .value,
    {
      ssn: '',
      age: 0,
      vip: false,
      card: null,
      name: 'x',
    },
  );
  const fixed = parseTransforms([{ type: 'maskField', fields: ['ssn'], replacement: '***' }]);
  t.deepEqual(applyTransforms(fixed, record({ ssn: '123' })).value, { ssn: '***' });
});

test('routeByField sets the topic from a field; a missing field is a RecordError', (t) => {
  const chain = parseTransforms([
    { type: 'routeByField', field: 'region', topicFormat: 'orders-{value}' },
  ]);
  t.is(applyTransforms(chain, record({ region: 'eu' })).topic, 'orders-eu');
  t.throws(() => applyTransforms(chain, record({ other: 1 })), { instanceOf: RecordError });
  t.throws(() => applyTransforms(chain, record({ region: 'no spaces' })), {
    instanceOf: RecordError,
  });
});

test('insertTimestamp adds the record timestamp as ms or ISO', (t) => {
  const ms = parseTransforms([{ type: 'insertTimestamp', field: 'at' }]);
  t.deepEqual(applyTransforms(ms, record({ a: 1 })).value, { a: 1, at: 1_700_000_000_000 });
  const iso = parseTransforms([{ type: 'insertTimestamp', field: 'at', format: 'iso' }]);
  t.deepEqual(applyTransforms(iso, record({})).value, { at: '2023-11-14T22:13:20.000Z' });
});

test('transforms apply in order and leave tombstones alone', (t) => {
  const chain = parseTransforms([
    { type: 'renameField', renames: { a: 'b' } },
    { type: 'maskField', fields: ['b'], replacement: 'x' },
  ]);
  t.deepEqual(applyTransforms(chain, record({ a: 'secret' })).value, { b: 'x' });
  t.is(applyTransforms(chain, record(null)).value, null);
  t.throws(() => applyTransforms(chain, record('text')), { instanceOf: RecordError });
});

test('bad transform configurations list every problem', (t) => {
  const error = t.throws(
    () =>
      parseTransforms([
        { type: 'renameField' },
        { type: 'nope' },
        { type: 'maskField', fields: ['a'], extra: 1 },
        'x',
      ]),
    { instanceOf: ConfigError },
  );
  t.is(error?.problems.length, 4, error?.message);
  t.regex(error!.message, /renames/);
  t.regex(error!.message, /unknown type "nope"/);
  t.regex(error!.message, /unknown option 'extra'/);
  t.throws(() => parseTransforms({}), { instanceOf: ConfigError });
});
