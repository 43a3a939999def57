import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  Api,
  checkResponseBody,
  decodeRequest,
  decodeResponseHead,
  ErrorCode,
  encodeRequest,
  encodeResponse,
  type RequestFrame,
} from '../../src/index.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const raw = new Packr({ useRecords: false, mapsAsObjects: true });

test('golden bytes: a Metadata request for all topics', (t) => {
  const bytes = encodeRequest({
    correlationId: 7,
    api: Api.Metadata,
    version: 1,
    body: { topics: null },
  });
  // [0, 7, 1, 1, {topics: nil}]: fixarray(5) 0 7 1 1, map16(1) (msgpackr writes maps as map16), fixstr(6) "topics", nil
  t.is(hex(bytes), '9500070101de0001a6746f70696373c0');
});

test('golden bytes: a response with a top-level error', (t) => {
  const bytes = encodeResponse({ correlationId: 7, errorCode: 42, message: 'x', body: null });
  t.is(hex(bytes), '9501072aa178c0');
});

test('a Produce request round-trips with its batch bytes as binary', (t) => {
  const records = new Uint8Array([1, 2, 3, 250]);
  const frame: RequestFrame<typeof Api.Produce> = {
    correlationId: 1,
    api: Api.Produce,
    version: 1,
    body: {
      acks: 'quorum',
      timeoutMs: 5000,
      topics: [{ name: 'orders', partitions: [{ partition: 3, records }] }],
    },
  };
  const decoded = decodeRequest(encodeRequest(frame));
  if (!decoded.ok) return t.fail(decoded.error.message);
  t.is(decoded.frame.api, Api.Produce);
  const body = decoded.frame.body as typeof frame.body;
  t.true(body.topics[0]?.partitions[0]?.records instanceof Uint8Array);
  t.deepEqual([...(body.topics[0]?.partitions[0]?.records ?? [])], [1, 2, 3, 250]);
});

test('garbage bytes give INVALID_REQUEST and never throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const decoded = decodeRequest(bytes);
      if (decoded.ok) return true; // a random frame may happen to be valid
      return (
        decoded.error.code === ErrorCode.InvalidRequest.code ||
        decoded.error.code === ErrorCode.UnsupportedVersion.code
      );
    }),
  );
  t.pass();
});

test('unknown api and unsupported version are UNSUPPORTED_VERSION with the correlation id', (t) => {
  const unknown = decodeRequest(raw.pack([0, 9, 999, 1, {}]));
  t.false(unknown.ok);
  if (!unknown.ok) {
    t.is(unknown.error.code, ErrorCode.UnsupportedVersion.code);
    t.is(unknown.correlationId, 9);
  }
  const wrongVersion = decodeRequest(raw.pack([0, 10, Api.Metadata, 99, { topics: null }]));
  t.false(wrongVersion.ok);
  if (!wrongVersion.ok) t.is(wrongVersion.error.code, ErrorCode.UnsupportedVersion.code);
});

const badBodies: Array<[string, number, unknown]> = [
  ['topic name with a slash', Api.Metadata, { topics: ['a/b'] }],
  ['empty topic name', Api.Metadata, { topics: [''] }],
  ['topic name too long', Api.Metadata, { topics: ['x'.repeat(250)] }],
  [
    'negative fetch offset',
    Api.Fetch,
    {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 10,
      topics: [{ name: 't', partitions: [{ partition: 0, offset: -5, maxBytes: 10 }] }],
    },
  ],
  [
    'offset beyond 2^53',
    Api.Fetch,
    {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 10,
      topics: [{ name: 't', partitions: [{ partition: 0, offset: 2 ** 60, maxBytes: 10 }] }],
    },
  ],
  [
    'fractional partition',
    Api.Fetch,
    {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 10,
      topics: [{ name: 't', partitions: [{ partition: 0.5, offset: 0, maxBytes: 10 }] }],
    },
  ],
  ['unknown acks', Api.Produce, { acks: 'some', timeoutMs: 1, topics: [] }],
  [
    'records not binary',
    Api.Produce,
    {
      acks: 'all',
      timeoutMs: 1,
      topics: [{ name: 't', partitions: [{ partition: 0, records: [1, 2] }] }],
    },
  ],
  [
    'zero partitions',
    Api.CreateTopics,
    {
      topics: [{ name: 't', partitions: 0, replicationFactor: 1, configs: {} }],
      timeoutMs: 1,
      validateOnly: false,
    },
  ],
  ['body not a map', Api.ListGroups, [1, 2]],
];

for (const [name, api, body] of badBodies) {
  test(`bad input is INVALID_REQUEST: ${name}`, (t) => {
    const decoded = decodeRequest(raw.pack([0, 3, api, 1, body]));
    t.false(decoded.ok);
    if (!decoded.ok) {
      t.is(decoded.error.code, ErrorCode.InvalidRequest.code);
      t.is(decoded.correlationId, 3);
    }
  });
}

test('validation never copies unknown fields through', (t) => {
  const decoded = decodeRequest(raw.pack([0, 1, Api.Metadata, 1, { topics: null, extra: 'x' }]));
  t.true(decoded.ok);
  if (decoded.ok) t.deepEqual(Object.keys(decoded.frame.body as object), ['topics']);
});

test('responses: head first, then the body checked against its API', (t) => {
  const bytes = encodeResponse({
    correlationId: 5,
    errorCode: 0,
    message: null,
    body: { error: 0, producerId: 12, producerEpoch: 0 },
  });
  const head = decodeResponseHead(bytes);
  t.is(head.correlationId, 5);
  const body = checkResponseBody(Api.InitProducerId, head.body);
  t.is(body.producerId, 12);
  t.throws(() => checkResponseBody(Api.InitProducerId, { error: 'x' }), {
    message: /INVALID_REQUEST/,
  });
});
