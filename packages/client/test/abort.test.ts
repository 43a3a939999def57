import test from 'ava';
import { abortable, CallScope, Cancellation, signalOf, sleep } from '../src/abort.ts';
import { AbortError, TimeoutError } from '../src/errors.ts';

test('a cancellation calls each listener once, and not after it was removed', (t) => {
  const cancellation = new Cancellation();
  const calls: string[] = [];
  cancellation.onAbort(() => calls.push('a'));
  const removeB = cancellation.onAbort(() => calls.push('b'));
  removeB();
  cancellation.abort(new Error('first'));
  cancellation.abort(new Error('second'));
  t.deepEqual(calls, ['a']);
  t.true(cancellation.aborted);
  t.is((cancellation.reason as Error).message, 'first', 'the first reason stays');
  cancellation.onAbort(() => calls.push('late'));
  t.deepEqual(calls, ['a', 'late'], 'a listener added after the abort runs at once');
});

test('the real AbortSignal of a cancellation follows it, made before or after the abort', (t) => {
  const before = new Cancellation();
  const early = before.signal;
  t.false(early.aborted);
  before.abort(new Error('stop'));
  t.true(early.aborted);
  t.is((early.reason as Error).message, 'stop');

  const after = new Cancellation();
  after.abort(new Error('gone'));
  t.true(after.signal.aborted, 'a signal made after the abort is already aborted');
  t.is((after.signal.reason as Error).message, 'gone');
  t.is(after.signal, after.signal, 'one signal per cancellation');
  const signal = new AbortController().signal;
  t.is(signalOf(signal), signal);
});

test('a scope within a cancellation ends with an AbortError carrying the cause', (t) => {
  const lifetime = new Cancellation();
  const scope = new CallScope('send', {}, 60_000, lifetime);
  t.false(scope.aborted);
  const closed = new Error('client closed');
  lifetime.abort(closed);
  t.true(scope.aborted);
  t.true(scope.reason instanceof AbortError);
  t.is(scope.reason.message, 'send aborted');
  t.is(scope.reason.cause, closed);
  t.throws(() => scope.throwIfDone(), { is: scope.reason });
  scope.dispose();
});

test('a scope ends at once when the application signal or its bound already aborted', (t) => {
  const controller = new AbortController();
  controller.abort(new Error('user'));
  const fromSignal = new CallScope('fetch', { signal: controller.signal }, 60_000);
  t.true(fromSignal.aborted);
  t.is((fromSignal.reason.cause as Error).message, 'user');
  fromSignal.dispose();

  const lifetime = new Cancellation();
  lifetime.abort(new Error('closed'));
  const within = new CallScope('fetch', {}, 60_000, lifetime);
  t.true(within.aborted);
  within.dispose();
});

test('a disposed scope no longer listens to its parents', (t) => {
  const lifetime = new Cancellation();
  const controller = new AbortController();
  const scope = new CallScope('send', { signal: controller.signal }, 60_000, lifetime);
  scope.dispose();
  lifetime.abort(new Error('closed'));
  controller.abort(new Error('user'));
  t.false(scope.aborted, 'neither parent reaches a finished call');
});

test('a scope times out with a TimeoutError', async (t) => {
  const scope = new CallScope('metadata', {}, 5);
  await t.throwsAsync(sleep(10_000, scope), { instanceOf: TimeoutError });
  t.regex(scope.reason.message, /metadata timed out after 5 ms/);
  scope.dispose();
});

test('abortable and sleep end on a cancellation as they do on a signal', async (t) => {
  const cancellation = new Cancellation();
  let failLater: (error: Error) => void = () => {};
  const work = new Promise<number>((_, reject) => {
    failLater = reject;
  });
  const waiting = abortable(work, cancellation);
  const sleeping = sleep(60_000, cancellation);
  cancellation.abort(new Error('stopped'));
  await t.throwsAsync(waiting, { message: 'stopped' });
  await t.throwsAsync(sleeping, { message: 'stopped' });
  failLater(new Error('late failure')); // handled: no unhandled rejection
  await t.throwsAsync(abortable(Promise.resolve(1), cancellation), { message: 'stopped' });
  t.is(await abortable(Promise.resolve(7), new Cancellation()), 7);
  await sleep(1, new Cancellation());
});
