/**
 * The data frame codec alone: Append entries travel packed into one block and snapshot
 * data as it is, both after the msgpack header, and come back equal, through the core's
 * validator; a damaged block never yields entries the validator accepts; a frame whose
 * sizes do not add up does not decode; the plain array form still decodes.
 */
import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { type Entry, EntryType, type Message, MessageType } from '../../src/core/types.ts';
import { validateMessage } from '../../src/core/validate-message.ts';
import {
  decodeMessagesFrame,
  encodeMessagesFrame,
  messagesFrameKind,
} from '../../src/transport/frame.ts';
import { heartbeat } from './helpers.ts';

function appendOf(
  prevLogIndex: number,
  entries: { term: number; type: number; data: Uint8Array }[],
) {
  const term = Math.max(1, ...entries.map((e) => e.term));
  return {
    type: MessageType.Append,
    group: 7,
    from: 1,
    to: 2,
    term,
    prevLogIndex,
    prevLogTerm: prevLogIndex === 0 ? 0 : 1,
    commit: prevLogIndex,
    entries: entries.map((e, i) => ({ index: prevLogIndex + 1 + i, ...e })),
  } as Message;
}

/** A frame by hand: kind, header size, header, blobs. */
function frameOf(header: Uint8Array, ...blobs: Uint8Array[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = messagesFrameKind;
  head.writeUInt32LE(header.byteLength, 1);
  return Buffer.concat([head, header, ...blobs]);
}

function plain(message: Message): unknown {
  if (message.type !== MessageType.Append) return message;
  return {
    ...message,
    entries: message.entries.map((e) => ({ ...e, data: [...e.data] })),
  };
}

function roundTrip(messages: Message[]): unknown[] {
  const values = decodeMessagesFrame(encodeMessagesFrame(messages));
  if (values === undefined) throw new Error('frame did not decode');
  return values.map((value) => {
    const message = validateMessage(value);
    if (message instanceof Error) throw message;
    return message;
  });
}

const entryArbitrary = fc.record({
  termStep: fc.nat({ max: 3 }),
  type: fc.constantFrom(EntryType.Data, EntryType.Noop, EntryType.Config),
  data: fc.uint8Array({ maxLength: 300 }),
});

test('appends of any entries survive a frame unchanged (property)', (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          prev: fc.nat({ max: 2 ** 40 }),
          firstTerm: fc.integer({ min: 1, max: 2 ** 40 }),
          entries: fc.array(entryArbitrary, { maxLength: 20 }),
        }),
        { maxLength: 8 },
      ),
      (specs) => {
        const messages = specs.map(({ prev, firstTerm, entries }) => {
          let term = firstTerm;
          return appendOf(
            prev,
            entries.map((e) => {
              term += e.termStep;
              return { term, type: e.type, data: e.data };
            }),
          );
        });
        messages.push(heartbeat(3, 1, 2));
        const back = roundTrip(messages);
        t.deepEqual((back as Message[]).map(plain), messages.map(plain));
        for (const m of back as Message[]) {
          if (m.type !== MessageType.Append) continue;
          for (const e of m.entries) if (!Buffer.isBuffer(e.data)) return false;
        }
        return true;
      },
    ),
  );
});

test('entries not at consecutive indexes go as an array, and the validator refuses them', (t) => {
  const message = appendOf(4, [
    { term: 1, type: EntryType.Data, data: new Uint8Array([1]) },
    { term: 1, type: EntryType.Data, data: new Uint8Array([2]) },
  ]) as Message & { entries: Entry[] };
  const gap = { ...message, entries: [message.entries[0], { ...message.entries[1], index: 9 }] };
  const values = decodeMessagesFrame(encodeMessagesFrame([gap as Message])) ?? [];
  t.true(Array.isArray((values[0] as { entries: unknown }).entries));
  t.true(validateMessage(values[0]) instanceof Error);
});

test('a damaged entries block is refused by the validator, never turned into entries', (t) => {
  const packr = new Packr({ useRecords: true, moreTypes: false });
  const good = appendOf(10, [
    { term: 2, type: EntryType.Data, data: new Uint8Array([1, 2, 3]) },
    { term: 2, type: EntryType.Data, data: new Uint8Array([4, 5]) },
  ]);
  const frame = encodeMessagesFrame([good]);
  const decoded = (decodeMessagesFrame(frame) ?? [])[0] as Record<string, unknown>;
  const block = Buffer.alloc(4 + 2 * 13 + 5);
  let at = block.writeUInt32LE(2, 0);
  for (const data of [
    [1, 2, 3],
    [4, 5],
  ]) {
    at = block.writeDoubleLE(2, at);
    block[at] = EntryType.Data;
    at = block.writeUInt32LE(data.length, at + 1);
    block.set(data, at);
    at += data.length;
  }
  const withBlock = (entries: Buffer, extra: Record<string, unknown> = {}) =>
    (decodeMessagesFrame(
      frameOf(packr.pack([{ ...decoded, entries: entries.byteLength, ...extra }]), entries),
    ) ?? [])[0];
  // The hand-made block is the same encoding: it decodes and validates.
  t.false(validateMessage(withBlock(block)) instanceof Error);
  const damaged: [string, Buffer, Record<string, unknown>?][] = [
    ['cut short', block.subarray(0, block.length - 1)],
    ['trailing byte', Buffer.concat([block, Buffer.from([0])])],
    ['count too large', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x7f]), block.subarray(4)])],
    ['size past the end', Buffer.from(block).fill(0xff, 4 + 9, 4 + 13)],
    ['empty', Buffer.alloc(0)],
    ['term not an integer', Buffer.from(block).fill(0xff, 4, 4 + 8)],
    ['bad type', Buffer.from(block).fill(0x7f, 4 + 8, 4 + 9)],
    ['no prevLogIndex', block, { prevLogIndex: 'x' }],
  ];
  for (const [what, bytes, extra] of damaged) {
    t.true(validateMessage(withBlock(bytes, extra)) instanceof Error, what);
  }
});

test('golden bytes: a heartbeat and a one-entry append', (t) => {
  const frame = encodeMessagesFrame([
    heartbeat(3, 1, 2),
    appendOf(4, [{ term: 1, type: EntryType.Data, data: new Uint8Array([0xaa, 0xbb]) }]),
  ]);
  t.is(frame[0], 17);
  const headerSize = frame.readUInt32LE(1);
  const blob = frame.subarray(5 + headerSize);
  t.is(blob.toString('hex'), `01000000${'000000000000f03f'}00${'02000000'}aabb`);
  t.is(frame.byteLength, 5 + headerSize + blob.byteLength);
});

test('snapshot data travels after the header and decodes as a view into the frame', (t) => {
  const data = new Uint8Array(3000).map((_, i) => i % 251);
  const snapshot = {
    type: MessageType.InstallSnapshot,
    group: 7,
    from: 1,
    to: 2,
    term: 3,
    metadata: {
      index: 40,
      term: 2,
      config: { voters: [1, 2, 3], outgoingVoters: [], learners: [] },
    },
    offset: 0,
    data,
    done: true,
  } as unknown as Message;
  const frame = encodeMessagesFrame([snapshot, heartbeat(3, 1, 2)]);
  const [back] = decodeMessagesFrame(frame) ?? [];
  const decoded = back as { data: Buffer };
  t.true(Buffer.isBuffer(decoded.data));
  t.is(decoded.data.buffer, frame.buffer, 'a view, not a copy');
  t.deepEqual([...decoded.data], [...data]);
});

test('a frame whose sizes do not add up, or that is not of this kind, does not decode', (t) => {
  const packr = new Packr({ useRecords: true, moreTypes: false });
  const append = appendOf(4, [{ term: 1, type: EntryType.Data, data: new Uint8Array([1, 2]) }]);
  const good = encodeMessagesFrame([append]);
  t.truthy(decodeMessagesFrame(good));
  const header = packr.pack([{ ...append, entries: 4 + 13 + 2 }]);
  const block = good.subarray(good.byteLength - (4 + 13 + 2));
  t.truthy(decodeMessagesFrame(frameOf(header, block)), 'the hand-made frame is the same');
  const bad: [string, Buffer][] = [
    ['block cut short', frameOf(header, block.subarray(1))],
    ['trailing byte', frameOf(header, block, Buffer.from([0]))],
    ['size not an integer', frameOf(packr.pack([{ ...append, entries: 1.5 }]), block)],
    ['negative size', frameOf(packr.pack([{ ...append, entries: -1 }]), block)],
    ['header size past the end', Buffer.concat([Buffer.from([17, 0xff, 0xff, 0, 0]), header])],
    ['header not msgpack', frameOf(Buffer.from([0xc1]), block)],
    ['header not an array', frameOf(packr.pack({ a: 1 }), block)],
    ['other kind', Buffer.concat([Buffer.from([16]), good.subarray(1)])],
    ['too short', Buffer.from([17, 0])],
  ];
  for (const [what, frame] of bad) t.is(decodeMessagesFrame(frame), undefined, what);
});

test('random bytes never throw out of the decoder (property)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, asFrame) => {
      const input = asFrame
        ? frameOf(bytes.subarray(0, bytes.length >> 1), bytes)
        : Buffer.from(bytes);
      const values = decodeMessagesFrame(input);
      for (const value of values ?? []) validateMessage(value);
      return true;
    }),
  );
  t.pass();
});
