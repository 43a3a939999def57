/**
 * Distributed mode's source of truth: the connectors, kept in the compacted configs topic
 * (one partition, so every worker applies changes in one order). Each record:
 *
 *   key   = connector name
 *   value = JSON { v: 1, config, target: RUNNING | PAUSED, restarts }   (null: deleted)
 *
 * `restarts` counts restart requests: a change makes the workers running its tasks start
 * them again. A write resolves once this worker has read it back.
 */
import type { Admin, Client, Producer } from '@tributary/client';
import { isPlainObject, type RawConfig } from '../config/config-reader.ts';
import { CompactedTable, type TableCodec } from './compacted-table.ts';
import type { TargetState } from './herder.ts';
import type { Logger } from './logger.ts';

export interface StoredConnector {
  readonly config: RawConfig;
  readonly target: TargetState;
  readonly restarts: number;
}

const formatVersion = 1;

export function decodeStoredConnector(text: string): StoredConnector | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!isPlainObject(value) || value.v !== formatVersion || !isPlainObject(value.config))
      return undefined;
    if (value.target !== 'RUNNING' && value.target !== 'PAUSED') return undefined;
    if (!Number.isSafeInteger(value.restarts)) return undefined;
    return { config: value.config, target: value.target, restarts: value.restarts as number };
  } catch {
    return undefined;
  }
}

const connectorCodec: TableCodec<StoredConnector> = {
  what: 'the configs topic',
  encode: (stored) => JSON.stringify({ v: formatVersion, ...stored }),
  decode: decodeStoredConnector,
};

/** The connectors, by name: a write resolves once this worker has read it back. */
export class ConfigLog extends CompactedTable<StoredConnector> {
  constructor(client: Client, admin: Admin, producer: Producer, topic: string, log: Logger) {
    super(client, admin, producer, topic, connectorCodec, log);
  }
}
