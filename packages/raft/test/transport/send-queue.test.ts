import test from 'ava';
import fc from 'fast-check';
import { MessageType } from '../../src/core/types.ts';
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
