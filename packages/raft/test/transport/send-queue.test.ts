import test from 'ava';
import fc from 'fast-check';
import { type Message, MessageType } from '../../src/core/types.ts';
import { Backoff } from '../../src/transport/backoff.ts';
import { SendQueue } from '../../src/transport/send-queue.ts';

const message = (term: number) =>
  ({ type: MessageType.Heartbeat, group: 0, from: 1, to: 2, term, commit: 0, context: 0 }) as const;

test('the send queue never passes its bounds, drops the oldest first, and counts every drop', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 2000 }),
      fc.array(fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constant(-1)), { maxLength: 300 }),
      (messagesMax, bytesMax, operations) => {
        const queue = new SendQueue(messagesMax, bytesMax);
        const model: { term: number; size: number }[] = [];
        let dropped = 0;
        let term = 0;
        for (const operation of operations) {
          if (operation === -1) {
            const shifted = queue.shift();
            const expected = model.shift();
            t.is(shifted?.term, expected?.term);
            continue;
          }
          term += 1;
          const drops = queue.push(message(term), operation);
          dropped += drops;
          if (operation > bytesMax) continue;
          model.push({ term, size: operation });
          const bytes = () => model.reduce((sum, m) => sum + m.size, 0);
          while (model.length > messagesMax || bytes() > bytesMax) model.shift();
          t.true(queue.count <= messagesMax && queue.bytes <= bytesMax);
          t.is(queue.count, model.length);
          t.is(queue.bytes, bytes());
        }
        t.is(queue.clear(), model.length);
        t.true(dropped >= 0);
      },
    ),
  );
});

type Pushed =
  | { kind: 'append'; group: number; term: number; prev: number; count: number; commit: number }
  | { kind: 'heartbeat'; group: number; term: number }
  | { kind: 'shift' };

function appendMessage(p: Extract<Pushed, { kind: 'append' }>): Message {
  return {
    type: MessageType.Append,
    group: p.group,
    from: 1,
    to: 2,
    term: p.term,
    prevLogIndex: p.prev,
    prevLogTerm: p.prev === 0 ? 0 : p.term,
    commit: p.commit,
    entries: Array.from({ length: p.count }, (_, i) => ({
      index: p.prev + 1 + i,
      term: p.term,
      type: 0,
      data: new Uint8Array(10),
    })),
  } as Message;
}

/** What a group's messages say, one line per entry or heartbeat: merging must keep it. */
function flatten(messages: Message[], group: number): string[] {
  const lines: string[] = [];
  for (const m of messages) {
    if (m.group !== group) continue;
    if (m.type === MessageType.Append) {
      m.entries.forEach((e, i) => {
        lines.push(`entry ${e.index} term ${e.term}`);
        if (e.index !== m.prevLogIndex + 1 + i) lines.push('NOT CONTIGUOUS');
      });
    } else lines.push(`heartbeat term ${m.term}`);
  }
  return lines;
}

test('waiting Appends of a group coalesce: same entries in the same order, fewer messages', (t) => {
  const sizeOf = (m: Message) => 64 + (m.type === MessageType.Append ? m.entries.length * 34 : 0);
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('append' as const),
            group: fc.integer({ min: 1, max: 3 }),
            termStep: fc.constantFrom(0, 0, 0, 1),
            gap: fc.constantFrom(0, 0, 0, 2, -1),
            count: fc.integer({ min: 0, max: 5 }),
          }),
          fc.record({
            kind: fc.constant('heartbeat' as const),
            group: fc.integer({ min: 1, max: 3 }),
          }),
          fc.record({ kind: fc.constant('shift' as const) }),
        ),
        { maxLength: 200 },
      ),
      fc.integer({ min: 100, max: 2000 }),
      (operations, mergeBytesMax) => {
        const queue = new SendQueue(1_000_000, 1_000_000_000, mergeBytesMax);
        const next = new Map<number, { index: number; term: number; commit: number }>();
        const pushed: Message[] = [];
        const delivered: Message[] = [];
        for (const operation of operations) {
          if (operation.kind === 'shift') {
            const m = queue.shift();
            if (m !== undefined) delivered.push(m);
            continue;
          }
          const state = next.get(operation.group) ?? { index: 0, term: 1, commit: 0 };
          let message: Message;
          if (operation.kind === 'heartbeat') {
            message = { ...heartbeatOf(operation.group), term: state.term };
          } else {
            state.term += operation.termStep;
            const prev = Math.max(0, state.index + operation.gap);
            state.commit += 1;
            message = appendMessage({
              kind: 'append',
              group: operation.group,
              term: state.term,
              prev,
              count: operation.count,
              commit: state.commit,
            });
            state.index = prev + operation.count;
          }
          next.set(operation.group, state);
          pushed.push(message);
          t.is(queue.push(message, sizeOf(message)), 0);
        }
        for (let m = queue.shift(); m !== undefined; m = queue.shift()) delivered.push(m);
        t.true(delivered.length <= pushed.length);
        for (const group of [1, 2, 3])
          t.deepEqual(flatten(delivered, group), flatten(pushed, group));
        for (const m of delivered) {
          if (m.type !== MessageType.Append) continue;
          const original = pushed.find((p) => p === m);
          if (original === undefined) {
            // A merged one: within the bound, its commit the newest of those merged.
            t.true(sizeOf(m) <= mergeBytesMax + 64 * m.entries.length);
            const last = m.entries[m.entries.length - 1];
            const sources = pushed.filter(
              (p) =>
                p.type === MessageType.Append &&
                p.group === m.group &&
                p.entries.some((e) => e === last),
            );
            t.is(m.commit, Math.max(...sources.map((p) => (p as { commit: number }).commit)));
          }
        }
        t.is(queue.bytes, 0);
      },
    ),
  );
});

function heartbeatOf(group: number): Message {
  return { type: MessageType.Heartbeat, group, from: 1, to: 2, term: 1, commit: 0, context: 0 };
}

test('backoff doubles up to its ceiling, with equal jitter from the injected randomness', (t) => {
  const low = new Backoff(() => 0, 50, 1000);
  const high = new Backoff(() => 0.999999, 50, 1000);
  const lows = Array.from({ length: 8 }, () => low.nextDelayMs());
  const highs = Array.from({ length: 8 }, () => high.nextDelayMs());
  t.deepEqual(lows, [25, 50, 100, 200, 400, 500, 500, 500]);
  t.deepEqual(highs, [50, 100, 200, 400, 800, 1000, 1000, 1000]);
  high.reset();
  t.is(high.nextDelayMs(), 50);
  t.throws(() => new Backoff(() => 1, 50, 100).nextDelayMs(), { message: /\[0, 1\)/ });
});
