/**
 * The REST API of a worker run through the CLI, on a real (one-node) cluster: list,
 * create, status, pause, resume, restart, delete; and bad requests get typed errors
 * (400/404/405/409/413 with a JSON body), after which the worker still answers.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import {
  type RestAnswer,
  rest,
  spawnWorker,
  startTestCluster,
  statusOf,
  type TestCluster,
  until,
  type WorkerProcess,
} from './helpers.ts';

let cluster: TestCluster;
let worker: WorkerProcess;

test.before(async () => {
  cluster = await startTestCluster(1);
  worker = await spawnWorker(cluster.dir, 'rest-worker', {
    brokers: cluster.brokers,
    restPort: 0,
    topicPrefix: 'rest',
    logLevel: 'info',
  });
});

test.after.always(async () => {
  await worker?.stop();
  await cluster?.close();
});

function errorOf(answer: RestAnswer): { error: string; message: string; problems?: string[] } {
  return answer.body as { error: string; message: string; problems?: string[] };
}

test.serial('create, list, status, pause, resume, restart, delete', async (t) => {
  t.timeout(600_000);
  const base = worker.restUrl;
  const root = await rest(base, 'GET', '/');
  t.is(root.status, 200);
  t.like(root.body, { workerId: worker.workerId, mode: 'standalone' });
  const plugins = await rest(base, 'GET', '/connector-plugins');
  t.is(plugins.status, 200);
  t.true(JSON.stringify(plugins.body).includes('PostgresSource'));
  t.deepEqual((await rest(base, 'GET', '/connectors')).body, []);

  const file = join(cluster.dir, 'lines.txt');
  writeFileSync(file, 'one\ntwo\n');
  await cluster.createTopic('rest-lines', 1);
  const config = {
    name: 'lines',
    class: 'FileSource',
    file,
    topic: 'rest-lines',
    valueConverter: 'string',
    pollIntervalMs: 50,
  };
  const created = await rest(base, 'POST', '/connectors', config);
  t.is(created.status, 201);
  t.like(created.body, { name: 'lines', type: 'source', tasks: 1, target: 'RUNNING' });
  t.deepEqual((await rest(base, 'GET', '/connectors')).body, ['lines']);
  t.like((await rest(base, 'GET', '/connectors/lines')).body, { name: 'lines', config });
  await until('the two lines in the topic', async () => (await cluster.count('rest-lines')) >= 2);
  await until('the task running', async () => {
    const status = await statusOf(base, 'lines');
    return status.tasks.length === 1 && status.tasks[0]!.state === 'RUNNING';
  });

  t.is((await rest(base, 'PUT', '/connectors/lines/pause')).status, 202);
  await until('the task paused', async () => {
    const status = await statusOf(base, 'lines');
    return status.connector.state === 'PAUSED' && status.tasks[0]!.state === 'PAUSED';
  });
  // Paused means stopped: nothing is read while paused.
  appendFileSync(file, 'three\n');
  const whilePaused = await cluster.count('rest-lines');
  t.is((await statusOf(base, 'lines')).tasks[0]!.state, 'PAUSED');
  t.is(whilePaused, 2);
  t.is((await rest(base, 'PUT', '/connectors/lines/resume')).status, 202);
  await until('the line written while paused', async () => {
    return (await cluster.count('rest-lines')) >= 3;
  });
  t.is((await rest(base, 'POST', '/connectors/lines/restart')).status, 202);
  appendFileSync(file, 'four\n');
  await until('a line after the restart', async () => (await cluster.count('rest-lines')) >= 4);
  const lines = (await cluster.readAll('rest-lines')).map((m) => m.value?.toString('utf8'));
  t.deepEqual(lines, ['one', 'two', 'three', 'four'], 'every line once, across pause and restart');

  // PUT config replaces it (200) or creates one (201).
  const replaced = await rest(base, 'PUT', '/connectors/lines/config', {
    ...config,
    pollIntervalMs: 100,
  });
  t.is(replaced.status, 200);
  t.like((await rest(base, 'GET', '/connectors/lines')).body, {
    config: { pollIntervalMs: 100 },
  });

  t.is((await rest(base, 'DELETE', '/connectors/lines')).status, 204);
  t.deepEqual((await rest(base, 'GET', '/connectors')).body, []);
  t.is((await rest(base, 'GET', '/connectors/lines/status')).status, 404);
});

test.serial(
  'bad requests get typed errors with a JSON body; the worker keeps answering',
  async (t) => {
    t.timeout(600_000);
    const base = worker.restUrl;
    const valid = {
      name: 'dup',
      class: 'FileSource',
      file: join(cluster.dir, 'dup.txt'),
      topic: 'rest-dup',
    };
    await cluster.createTopic('rest-dup', 1);
    t.is((await rest(base, 'POST', '/connectors', valid)).status, 201);

    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/connectors', valid, 409, 'CONNECTOR_EXISTS'],
      ['POST', '/connectors', '{"name": "x", ', 400, 'MALFORMED_JSON'],
      ['POST', '/connectors', '   ', 400, 'BAD_REQUEST'],
      ['POST', '/connectors', [1, 2], 400, 'INVALID_CONFIG'],
      ['POST', '/connectors', { name: 'x', class: 'NoSuchThing' }, 400, 'UNKNOWN_CONNECTOR_CLASS'],
      [
        'POST',
        '/connectors',
        { name: 'bad name!', class: 'FileSource', colour: 1 },
        400,
        'INVALID_CONFIG',
      ],
      ['GET', '/connectors/nope', undefined, 404, 'CONNECTOR_NOT_FOUND'],
      ['GET', '/connectors/nope/status', undefined, 404, 'CONNECTOR_NOT_FOUND'],
      ['PUT', '/connectors/nope/pause', undefined, 404, 'CONNECTOR_NOT_FOUND'],
      ['PUT', '/connectors/nope/resume', undefined, 404, 'CONNECTOR_NOT_FOUND'],
      ['POST', '/connectors/nope/restart', undefined, 404, 'CONNECTOR_NOT_FOUND'],
      ['DELETE', '/connectors/nope', undefined, 404, 'CONNECTOR_NOT_FOUND'],
      ['PUT', '/connectors/dup/config', { ...valid, name: 'other' }, 400, 'INVALID_CONFIG'],
      ['GET', '/no/such/thing', undefined, 404, 'NOT_FOUND'],
      ['DELETE', '/connectors', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/connectors/%E0%A4%A', undefined, 400, 'BAD_REQUEST'],
      ['POST', '/connectors', 'x'.repeat(2 * 1024 * 1024), 413, 'BODY_TOO_LARGE'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await rest(base, method, path, body);
      const what = `${method} ${path.slice(0, 40)}`;
      t.is(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
      t.is(answer.contentType, 'application/json', what);
      t.is(errorOf(answer).error, code, what);
      t.is(typeof errorOf(answer).message, 'string', what);
    }
    const invalid = await rest(base, 'POST', '/connectors', {
      name: 'bad name!',
      class: 'FileSource',
      colour: 1,
    });
    t.deepEqual(
      [...(errorOf(invalid).problems ?? [])].sort(),
      [
        "'name' must be letters, digits, '.', '_' or '-' (at most 120), got \"bad name!\"",
        "'topic' is required",
        "give exactly one of 'file' and 'files'",
        "unknown option 'colour'",
      ].sort(),
      'every problem listed at once',
    );
    // Still alive and unchanged.
    t.is((await rest(base, 'GET', '/')).status, 200);
    t.deepEqual((await rest(base, 'GET', '/connectors')).body, ['dup']);
    t.is((await rest(base, 'DELETE', '/connectors/dup')).status, 204);
  },
);
