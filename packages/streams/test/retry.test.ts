import test from 'ava';
import { retryRetriable } from '../src/runtime/retry.ts';

const retriable = (message: string) => Object.assign(new Error(message), { retriable: true });
const options = { backoffMsInitial: 1, backoffMsMax: 4 };

test('retriable errors are tried again until the operation succeeds', async (t) => {
  let calls = 0;
  const retries: number[] = [];
  const result = await retryRetriable(
    async () => {
      calls += 1;
      if (calls < 4) throw retriable(`attempt ${calls}`);
      return 'done';
    },
    { ...options, deadline: Date.now() + 60_000, onRetry: (attempt) => retries.push(attempt) },
  );
  t.is(result, 'done');
  t.is(calls, 4);
  t.deepEqual(retries, [1, 2, 3]);
});

test('an error not flagged retriable is thrown at once', async (t) => {
  let calls = 0;
  const error = await t.throwsAsync(
    retryRetriable(
      async () => {
        calls += 1;
        throw new Error('bad request');
      },
      { ...options, deadline: Date.now() + 60_000 },
    ),
  );
  t.is(error?.message, 'bad request');
  t.is(calls, 1);
});

test('the deadline and keepTrying stop the retries with the last error', async (t) => {
  const past = await t.throwsAsync(
    retryRetriable(
      async () => {
        throw retriable('still down');
      },
      { ...options, deadline: Date.now() },
    ),
  );
  t.is(past?.message, 'still down');
  let calls = 0;
  const stopped = await t.throwsAsync(
    retryRetriable(
      async () => {
        calls += 1;
        throw retriable(`down ${calls}`);
      },
      { ...options, deadline: Date.now() + 60_000, keepTrying: () => calls < 3 },
    ),
  );
  t.is(stopped?.message, 'down 3');
});
