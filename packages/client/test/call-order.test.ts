/** CallOrder: calls start one at a time, in call order; an interrupted wait drops out. */
import test from 'ava';
import { CallOrder } from '../src/call-order.ts';

/** Starts call `a` on an idle CallOrder; it stays in progress until `open()`. */
function callInProgress() {
  const order = new CallOrder();
  const started: string[] = [];
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const a = order.run(undefined, async () => {
    started.push('a');
    await opened;
  });
  return { order, started, a, open };
}

test('a call waits for every earlier one; with none in progress it starts at once', async (t) => {
  const { order, started, a, open } = callInProgress();
  t.deepEqual(started, ['a'], 'idle: started synchronously');
  const b = order.run(undefined, async () => {
    started.push('b');
  });
  await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(started, ['a'], 'b waits for a');
  open();
  await Promise.all([a, b]);
  t.deepEqual(started, ['a', 'b']);
  await order.run(undefined, async () => started.push('c'));
  t.deepEqual(started, ['a', 'b', 'c']);
});

test('a failed call does not stop the next one', async (t) => {
  const order = new CallOrder();
  const a = order.run(undefined, async () => {
    throw new Error('refused');
  });
  const b = order.run(undefined, async () => 'b');
  await t.throwsAsync(a, { message: 'refused' });
  t.is(await b, 'b');
});

test('an interrupted wait drops out; the call after it still waits for the earlier', async (t) => {
  const { order, started, a, open } = callInProgress();
  const controller = new AbortController();
  const b = order.run(controller.signal, async () => {
    started.push('b');
  });
  const c = order.run(undefined, async () => {
    started.push('c');
  });
  controller.abort(new Error('stop'));
  await t.throwsAsync(b, { message: 'stop' });
  await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(started, ['a'], 'c still waits for a');
  open();
  await Promise.all([a, c]);
  t.deepEqual(started, ['a', 'c']);
});
