/**
 * A connector configuration: one flat JSON object with the common options below and the
 * connector class's own options beside them. Parsing checks everything at once and throws
 * a `ConfigError` listing every problem (or `UnknownConnectorClassError`).
 *
 * Common options:
 *   name            connector name (letters, digits, . _ -)
 *   class           connector class, e.g. PostgresSource, SqliteSink, FileSource
 *   tasksMax        most tasks to split the work into (default 1)
 *   topic           source: the destination topic (transforms may route elsewhere)
 *   topics          sink: the topics to consume (a list, or one name)
 *   keyConverter    json | string | bytes (default json)
 *   valueConverter  json | string | bytes (default json)
 *   transforms      list of single-message transforms, applied in order
 *   errorTolerance  none (default: a bad record fails the task) | all (skip it)
 *   deadLetterTopic where records that failed go (with errorTolerance all)
 *   pollIntervalMs  source: wait after a poll that found nothing
 *   offsetFlushIntervalMs  source: how often positions are stored
 */
import type { ConnectorPlugin } from '../connector.ts';
import {
  type Converter,
  type ConverterName,
  converterNamed,
  converterNames,
} from '../converters/converter.ts';
import { ConfigError, UnknownConnectorClassError } from '../errors.ts';
import { connectorNamePattern, limits } from '../limits.ts';
import type { Transform } from '../transforms/transform.ts';
import { parseTransforms } from '../transforms/transform-chain.ts';
import { ConfigReader, describe, isPlainObject, type RawConfig } from './config-reader.ts';
import type { PluginRegistry } from './plugin-registry.ts';

export type ErrorTolerance = 'none' | 'all';

export interface ConnectorConfig {
  readonly name: string;
  readonly plugin: ConnectorPlugin;
  readonly tasksMax: number;
  /** Source: the destination topic. */
  readonly topic: string | undefined;
  /** Sink: the topics consumed. */
  readonly topics: readonly string[];
  readonly keyConverter: Converter;
  readonly valueConverter: Converter;
  readonly transforms: readonly Transform[];
  readonly errorTolerance: ErrorTolerance;
  readonly deadLetterTopic: string | undefined;
  readonly pollIntervalMs: number;
  readonly offsetFlushIntervalMs: number;
  /** What the connector class parsed from its own options. */
  readonly connectorOptions: unknown;
  /** The configuration as given, for the REST API. */
  readonly raw: RawConfig;
}

const topicNamePattern = /^[a-zA-Z0-9._-]+$/;

export function parseConnectorConfig(raw: unknown, plugins: PluginRegistry): ConnectorConfig {
  if (!isPlainObject(raw)) {
    throw new ConfigError('connector configuration', [
      `must be a JSON object, got ${describe(raw)}`,
    ]);
  }
  const plugin = plugins.find(raw.class);
  if (plugin === undefined) throw new UnknownConnectorClassError(raw.class, plugins.classNames());
  const reader = new ConfigReader(raw, `${plugin.className} configuration`);
  reader.accept(['class']);
  const name = reader.requiredString('name');
  if (
    name !== '' &&
    (!connectorNamePattern.test(name) || name.length > limits.connectorNameLengthMax)
  ) {
    reader.problem(
      `'name' must be letters, digits, '.', '_' or '-' (at most ${limits.connectorNameLengthMax}), got ${describe(name)}`,
    );
  }
  const tasksMax = reader.integer('tasksMax', 1, { min: 1, max: limits.tasksMaxLimit });
  const { topic, topics } = readTopics(reader, plugin);
  const converter = (option: string): Converter =>
    converterNamed(reader.oneOf<ConverterName>(option, converterNames, 'json'));
  const keyConverter = converter('keyConverter');
  const valueConverter = converter('valueConverter');
  const transforms = readTransforms(reader);
  const errorTolerance = reader.oneOf('errorTolerance', ['none', 'all'] as const, 'none');
  const deadLetterTopic = reader.optionalString('deadLetterTopic');
  if (deadLetterTopic !== undefined) {
    checkTopicName(reader, 'deadLetterTopic', deadLetterTopic);
    if (errorTolerance === 'none') reader.problem(`'deadLetterTopic' needs errorTolerance 'all'`);
  }
  const pollIntervalMs = reader.integer('pollIntervalMs', limits.pollIntervalMsDefault, {
    min: 1,
    max: 3_600_000,
  });
  const offsetFlushIntervalMs = reader.integer(
    'offsetFlushIntervalMs',
    limits.offsetFlushIntervalMsDefault,
    { min: 10, max: 3_600_000 },
  );
  const connectorOptions = plugin.parseConfig(reader);
  reader.finish();
  return {
    name,
    plugin,
    tasksMax,
    topic,
    topics,
    keyConverter,
    valueConverter,
    transforms,
    errorTolerance,
    deadLetterTopic,
    pollIntervalMs,
    offsetFlushIntervalMs,
    connectorOptions,
    raw,
  };
}

function readTopics(reader: ConfigReader, plugin: ConnectorPlugin) {
  if (plugin.kind === 'source') {
    const topic = reader.requiredString('topic');
    checkTopicName(reader, 'topic', topic);
    return { topic, topics: [] as string[] };
  }
  const topics = reader.optionalStringList('topics');
  if (topics === undefined) reader.problem(`'topics' (the topics to consume) is required`);
  for (const topic of topics ?? []) checkTopicName(reader, 'topics', topic);
  return { topic: undefined, topics: topics ?? [] };
}

function checkTopicName(reader: ConfigReader, option: string, topic: string): void {
  if (topic !== '' && !topicNamePattern.test(topic)) {
    reader.problem(`'${option}': ${describe(topic)} is not a valid topic name`);
  }
}

function readTransforms(reader: ConfigReader): Transform[] {
  try {
    return parseTransforms(reader.optionalValue('transforms'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) reader.problem(problem);
    return [];
  }
}

/** The task configurations of a connector: deterministic, so every worker derives the same. */
export function taskConfigsOf(config: ConnectorConfig): unknown[] {
  const tasks = config.plugin.taskConfigs(config.connectorOptions, config.tasksMax);
  if (tasks.length < 1 || tasks.length > config.tasksMax) {
    throw new ConfigError(`${config.name} configuration`, [
      `${config.plugin.className} split the work into ${tasks.length} tasks (tasksMax ${config.tasksMax})`,
    ]);
  }
  return tasks;
}
