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
import type { TargetState } from './herder.ts';
import type { Logger } from './logger.ts';
import { TopicFollower } from './topic-follower.ts';
import { ensureTopic } from './topics.ts';

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

export class ConfigLog {
  private readonly connectors = new Map<string, StoredConnector>();
  private readonly follower: TopicFollower;
  private readonly listeners = new Set<() => void>();

  constructor(
    client: Client,
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly topic: string,
    private readonly log: Logger,
  ) {
    this.follower = new TopicFollower(client, topic, (message) => {
      const name = message.key?.toString('utf8');
      if (name === undefined) return;
      if (message.value === null) this.connectors.delete(name);
      else {
        const stored = decodeStoredConnector(message.value.toString('utf8'));
        if (stored === undefined) {
          this.log.warn('unreadable record in the configs topic', { name, offset: message.offset });
          return;
        }
        this.connectors.set(name, stored);
      }
      for (const listener of this.listeners) listener();
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    await ensureTopic(this.admin, { topic: this.topic, partitions: 1, compacted: true }, signal);
    await this.follower.start(this.admin, signal);
    await this.follower.caughtUp(this.admin, signal);
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  get(name: string): StoredConnector | undefined {
    return this.connectors.get(name);
  }

  all(): ReadonlyMap<string, StoredConnector> {
    return this.connectors;
  }

  async write(name: string, stored: StoredConnector | null): Promise<void> {
    const value = stored === null ? null : JSON.stringify({ v: formatVersion, ...stored });
    const [result] = await this.producer.send({
      topic: this.topic,
      messages: [{ key: name, value, partition: 0 }],
    });
    if (result !== undefined) await this.follower.applied(0, result.lastOffset);
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }
}
