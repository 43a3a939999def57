/**
 * The worker CLI's guard against unhandled rejections: only a client call's abort (which
 * a stopped consumer's position lookup let through, killing the worker) is forgiven.
 */
import { AbortError, ClientClosedError } from '@tributary/client';
import test from 'ava';
import { isStrayAbort } from '../src/internal.ts';

test('a client AbortError is a stray abort; anything else is not', (t) => {
  t.true(isStrayAbort(new AbortError('positions aborted')));
  t.false(isStrayAbort(new ClientClosedError('consumer stopped')));
  t.false(isStrayAbort(new Error('positions aborted')));
  t.false(isStrayAbort(new TypeError('x is undefined')));
  t.false(isStrayAbort(Object.assign(new Error('x'), { name: 'AbortError' })));
  t.false(isStrayAbort(undefined));
  t.false(isStrayAbort('AbortError'));
});
