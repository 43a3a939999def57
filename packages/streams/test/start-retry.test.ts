/**
 * Streams.start() against a cluster it cannot reach: retriable connect failures are tried
 * again until `startTimeoutMs`, then the start fails with the client's error (state
 * 'error'); a bad `startTimeoutMs` is refused at construction.
 */
import { createServer } from 'node:net';
import { Client, silentLogger } from '@tributary/client';
import test from 'ava';
import { InvalidArgumentError, Serdes, Streams, StreamsBuilder } from '../src/index.ts';

function topology() {
  const s = Serdes.string();
  const builder = new StreamsBuilder();
  builder.stream<string, string>('in', { keySerde: s, valueSerde: s }).to('out');
  return builder.build();
}

/** A port nobody listens on: bound once to get it, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a bad startTimeoutMs is refused with a typed error', (t) => {
  const client = new Client({ clientId: 'x', brokers: ['127.0.0.1:1'], logger: silentLogger });
  for (const startTimeoutMs of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => new Streams(topology(), { applicationId: 'app', client, startTimeoutMs }), {
      instanceOf: InvalidArgumentError,
      message: /startTimeoutMs/,
    });
  }
});

test('an unreachable cluster is retried until startTimeoutMs, then start() fails', async (t) => {
  const client = new Client({
    clientId: 'unreachable',
    brokers: [`127.0.0.1:${await deadPort()}`],
    logger: silentLogger,
    requestTimeoutMs: 300,
    retry: { backoffMsInitial: 20, backoffMsMax: 50 },
  });
  const warnings: string[] = [];
  const streams = new Streams(topology(), {
    applicationId: 'unreachable-app',
    client,
    startTimeoutMs: 2_000,
    logger: { info() {}, warn: (message) => warnings.push(message), error() {} },
  });
  const started = Date.now();
  const error = await t.throwsAsync(streams.start());
  t.true((error as { retriable?: boolean }).retriable, String(error));
  t.is(streams.state, 'error');
  t.true(
    warnings.some((w) => /could not connect the admin/.test(w)),
    `${warnings}`,
  );
  // It gave up only when the next backoff would pass the deadline; each backoff is at most
  // the time already spent plus the first one (100 ms), so at least (2000 - 100) / 2 ms went.
  t.true(Date.now() - started >= 950, `${Date.now() - started} ms`);
});
