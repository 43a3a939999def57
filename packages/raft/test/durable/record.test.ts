import test from 'ava';
import fc from 'fast-check';
import { ByteBuffer } from '../../src/durable/byte-buffer.ts';
import { loadChecksum } from '../../src/durable/checksum.ts';
import {
  beginRecord,
  bodyMatches,
  decodeRecordHeader,
  findNextValidRecord,
  finishRecord,
  RecordKind,
  recordHeaderBytes,
} from '../../src/durable/record.ts';
import {
  readEntriesBody,
  summarizeEntriesBody,
  writeEntriesBody,
} from '../../src/durable/record-body.ts';

test.before(async () => {
  await loadChecksum();
});

function entriesRecord(group: number, first: number, datas: Uint8Array[], term = 3): Buffer {
  const out = new ByteBuffer(64);
  const start = beginRecord(out, RecordKind.Entries, group);
  const entries = datas.map((data, i) => ({ index: first + i, term, type: 0 as const, data }));
  writeEntriesBody(out, entries, 0, entries.length);
  finishRecord(out, start);
  return Buffer.from(out.view());
}

test('golden bytes: an entries record of group 7 holding one 2-byte entry', (t) => {
  const bytes = entriesRecord(7, 5, [new Uint8Array([0xca, 0xfe])]);
  const hex = bytes.toString('hex');
  // bodySize 27 | magic 5457 | version 1 | kind 1 | group 7 | body checksum | header checksum
  t.is(hex.slice(0, 32), '1b000000545701010700000000000000');
  // body: indexFirst 5 | count 1 | term 3 | type 0 | size 2 | cafe
  t.is(
    hex.slice(64),
    ['0500000000000000', '01000000', '0300000000000000', '00', '02000000', 'cafe'].join(''),
  );
  t.is(bytes.byteLength, recordHeaderBytes + 27);
});

test('a record round-trips, and any single flipped bit is detected', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 1, max: 2 ** 40 }),
      fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 5 }),
      fc.nat(),
      (group, first, datas, bitSeed) => {
        const bytes = entriesRecord(group, first, datas);
        const header = decodeRecordHeader(bytes, 0);
        t.is(header?.group, group);
        const body = bytes.subarray(recordHeaderBytes);
        t.true(header !== undefined && bodyMatches(header, body));
        const read = readEntriesBody(body, first, first + datas.length, {
          bytesMax: 1e9,
          bytes: 0,
          taken: 0,
          full: false,
        });
        t.deepEqual(
          read.map((e) => Buffer.from(e.data).toString('hex')),
          datas.map((d) => Buffer.from(d).toString('hex')),
        );
        t.is(summarizeEntriesBody(body)?.count, datas.length);
        const bit = bitSeed % (bytes.byteLength * 8);
        const damaged = Buffer.from(bytes);
        damaged[bit >> 3] = (damaged[bit >> 3] as number) ^ (1 << (bit & 7));
        const damagedHeader = decodeRecordHeader(damaged, 0);
        const intact =
          damagedHeader !== undefined &&
          bodyMatches(damagedHeader, damaged.subarray(recordHeaderBytes));
        t.false(intact, `bit ${bit} flipped unnoticed`);
      },
    ),
  );
});

test('the next valid record is found after garbage, and not inside garbage', (t) => {
  const record = entriesRecord(1, 1, [new Uint8Array([1, 2, 3])]);
  const garbage = Buffer.alloc(100, 0x54);
  const bytes = Buffer.concat([garbage, record, garbage]);
  t.is(findNextValidRecord(bytes, 0), 100);
  t.is(findNextValidRecord(bytes, 101), -1);
});
