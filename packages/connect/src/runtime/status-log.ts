/**
 * Distributed mode's task statuses: each worker writes the status of the tasks it runs to
 * the compacted status topic, and every worker follows it, so any worker's REST API can
 * say where each task runs and in what state.
 *
 *   key   = "<connector>/<task>"
 *   value = JSON TaskStatus   (null: forgotten, when a connector is deleted)
 */
import type { Admin, Client, Producer } from '@tributary/client';
import { isPlainObject } from '../config/config-reader.ts';
import type { Logger } from './logger.ts';
import type { TaskStatus } from './task-handle.ts';
import { TopicFollower } from './topic-follower.ts';
import { ensureTopic } from './topics.ts';

export class StatusLog {
  private readonly statuses = new Map<string, TaskStatus>();
  private readonly follower: TopicFollower;

  constructor(
    client: Client,
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly topic: string,
    private readonly log: Logger,
  ) {
    this.follower = new TopicFollower(client, topic, (message) => {
      const key = message.key?.toString('utf8');
      if (key === undefined) return;
      if (message.value === null) {
        this.statuses.delete(key);
        return;
      }
      try {
        const status: unknown = JSON.parse(message.value.toString('utf8'));
        if (isPlainObject(status) && typeof status.state === 'string')
          this.statuses.set(key, status as unknown as TaskStatus);
      } catch {
        this.log.warn('unreadable record in the status topic', { key });
      }
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    await ensureTopic(this.admin, { topic: this.topic, partitions: 1, compacted: true }, signal);
    await this.follower.start(this.admin, signal);
  }

  get(connector: string, task: number): TaskStatus | undefined {
    return this.statuses.get(`${connector}/${task}`);
  }

  /** Best effort and in order (one producer, one partition); a failure is only logged. */
  write(status: TaskStatus): void {
    this.send(`${status.connector}/${status.task}`, JSON.stringify(status));
  }

  forget(connector: string): void {
    for (const key of this.statuses.keys())
      if (key.startsWith(`${connector}/`)) this.send(key, null);
  }

  private send(key: string, value: string | null): void {
    this.producer
      .send({ topic: this.topic, messages: [{ key, value, partition: 0 }] })
      .catch((error: unknown) =>
        this.log.warn('could not write a status', { key, error: String(error) }),
      );
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }
}
