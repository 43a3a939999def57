import {
  AbortError,
  ConnectionError,
  InvalidArgumentError,
  TimeoutError,
  TributaryProtocolError,
} from '@tributary/client';
import test from 'ava';
import { describeFailure, reasonOf } from '../src/error-report.ts';
import { OperationError, UsageError } from '../src/errors.ts';
import { ExitCode } from '../src/exit-codes.ts';

const context = { timeoutMs: 2_000 };

function protocolError(name: string, code: number, message: string) {
  return new TributaryProtocolError({ code, name, retriable: false, description: '' }, message);
}

test('our own errors keep their message and exit code', (t) => {
  t.deepEqual(describeFailure(new UsageError('bad flag'), context), {
    message: 'bad flag',
    exitCode: ExitCode.usage,
  });
  t.is(describeFailure(new OperationError('nope'), context).exitCode, ExitCode.failed);
});

test('protocol errors are named in plain words, invalid input as usage', (t) => {
  const unknown = describeFailure(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, 'x: '), context);
  t.is(unknown.message, 'unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION: x');
  t.is(unknown.exitCode, ExitCode.failed);
  const invalid = describeFailure(
    protocolError('INVALID_TOPIC_EXCEPTION', 17, 'bad name'),
    context,
  );
  t.is(invalid.exitCode, ExitCode.usage);
  t.is(describeFailure(new InvalidArgumentError('bad'), context).exitCode, ExitCode.usage);
  const other = describeFailure(protocolError('SOMETHING_NEW', 999, 'x'), context);
  t.regex(other.message, /^the cluster refused the operation/);
});

test('timeouts name the timeout and the last error once', (t) => {
  const cause = new ConnectionError(
    'cannot connect to h:1: ECONNREFUSED',
    new Error('ECONNREFUSED'),
  );
  const failure = describeFailure(
    new TimeoutError('connect timed out after 2000 ms', cause),
    context,
  );
  t.is(
    failure.message,
    'the cluster did not answer in time: connect timed out after 2000 ms; last error: cannot connect to h:1: ECONNREFUSED (--timeout is 2s; check --brokers)',
  );
  t.is(reasonOf(new OperationError('x', cause)), 'cannot connect to h:1: ECONNREFUSED');
});

test('an interrupted operation exits 130', (t) => {
  t.is(describeFailure(new AbortError('connect aborted'), context).exitCode, ExitCode.interrupted);
});

test('unexpected errors say so and keep the stack for TRIBUTARY_DEBUG', (t) => {
  const failure = describeFailure(new TypeError('x is undefined'), context);
  t.regex(failure.message, /^internal error: x is undefined/);
  t.is(failure.exitCode, ExitCode.failed);
  t.truthy(failure.stack);
  t.is(describeFailure('a string', context).message.startsWith('internal error: a string'), true);
});
