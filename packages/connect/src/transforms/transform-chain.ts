/** Parses a connector's `transforms` list and applies it in order. */
import { ConfigReader, describe, isPlainObject } from '../config/config-reader.ts';
import { ConfigError, RecordError } from '../errors.ts';
import type { ConnectRecord } from '../records.ts';
import { insertTimestamp } from './insert-timestamp.ts';
import { maskField } from './mask-field.ts';
import { renameField } from './rename-field.ts';
import { routeByField } from './route-by-field.ts';
import type { Transform, TransformPlugin } from './transform.ts';

export const transformPlugins: readonly TransformPlugin[] = [
  renameField,
  maskField,
  routeByField,
  insertTimestamp,
];

/** Builds the chain; every problem of every entry is reported together. */
export function parseTransforms(raw: unknown): Transform[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    throw new ConfigError('transforms', [`'transforms' must be a list, got ${describe(raw)}`]);
  }
  const problems: string[] = [];
  const chain: Transform[] = [];
  raw.forEach((entry: unknown, index) => {
    try {
      chain.push(parseOne(entry, index));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  });
  if (problems.length > 0) throw new ConfigError('transforms', problems);
  return chain;
}

function parseOne(entry: unknown, index: number): Transform {
  const where = `transforms[${index}]`;
  if (!isPlainObject(entry)) throw new ConfigError(where, [`${where} must be an object`]);
  const plugin = transformPlugins.find((p) => p.type === entry.type);
  if (plugin === undefined) {
    const known = transformPlugins.map((p) => p.type).join(', ');
    throw new ConfigError(where, [
      `${where}: unknown type ${describe(entry.type)}; known: ${known}`,
    ]);
  }
  const reader = new ConfigReader(entry, where);
  reader.accept(['type']);
  const transform = plugin.create(reader);
  try {
    reader.finish();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      where,
      error.problems.map((p) => `${where}: ${p}`),
    );
  }
  return transform;
}

/** Applies the chain; anything thrown becomes a RecordError of the transform stage. */
export function applyTransforms(chain: readonly Transform[], record: ConnectRecord): ConnectRecord {
  let current = record;
  for (const transform of chain) {
    try {
      current = transform(current);
    } catch (error) {
      if (error instanceof RecordError) throw error;
      throw new RecordError('TRANSFORM_FAILED', `transform failed: ${String(error)}`, error);
    }
  }
  return current;
}
