import test from 'ava';
import {
  builtinPlugins,
  ConfigError,
  PluginRegistry,
  parseConnectorConfig,
  parseWorkerConfig,
  UnknownConnectorClassError,
} from '../src/index.ts';

const plugins = new PluginRegistry(builtinPlugins);

test('a valid source configuration parses with defaults', (t) => {
  const config = parseConnectorConfig(
    { name: 'lines', class: 'FileSource', topic: 'lines', file: '/tmp/x.log' },
    plugins,
  );
  t.is(config.tasksMax, 1);
  t.is(config.keyConverter.name, 'json');
  t.is(config.errorTolerance, 'none');
  t.deepEqual(config.connectorOptions, { files: ['/tmp/x.log'] });
});

test('an unknown class is its own error naming the known ones', (t) => {
  const error = t.throws(() => parseConnectorConfig({ name: 'a', class: 'Nope' }, plugins), {
    instanceOf: UnknownConnectorClassError,
  });
  t.regex(error!.message, /FileSource/);
});

test('every problem of a configuration is reported at once', (t) => {
  const error = t.throws(
    () =>
      parseConnectorConfig(
        {
          name: 'bad name!',
          class: 'SqliteSink',
          tasksMax: 0,
          valueConverter: 'xml',
          deadLetterTopic: 'dlq',
          tabel: 'x',
        },
        plugins,
      ),
    { instanceOf: ConfigError },
  );
  const text = error!.problems.join('\n');
  for (const expected of [
    /'name'/,
    /'tasksMax'/,
    /'valueConverter'/,
    /errorTolerance/,
    /'topics'/,
    /'database' is required/,
    /'table' is required/,
    /keyColumns/,
    /unknown option 'tabel'/,
  ]) {
    t.regex(text, expected);
  }
});

test('a configuration that is not an object is refused', (t) => {
  t.throws(() => parseConnectorConfig([1, 2], plugins), { instanceOf: ConfigError });
  t.throws(() => parseConnectorConfig('x', plugins), { instanceOf: ConfigError });
});

test('worker configuration: defaults and problems', (t) => {
  const config = parseWorkerConfig({ brokers: ['127.0.0.1:9092'] });
  t.is(config.mode, 'standalone');
  t.is(config.restPort, 8083);
  const error = t.throws(() => parseWorkerConfig({ mode: 'cluster', restPort: -1, extra: true }), {
    instanceOf: ConfigError,
  });
  t.is(error?.problems.length, 4, error?.message);
});
