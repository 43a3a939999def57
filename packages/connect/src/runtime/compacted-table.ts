/**
 * A string-keyed table kept in a compacted, one-partition topic: every worker follows the
 * topic from its beginning, so all of them hold the same map, applied in the one order of
 * the partition. A record with a null value deletes its key. The distributed worker keeps
 * its connector configurations and its task statuses this way.
 *
 * Records that do not decode are logged and skipped rather than fatal: a worker must keep
 * running when another, newer or buggy, worker wrote something it cannot read.
 */
import type { Admin, Client, Producer } from '@tributary/client';
import type { Logger } from './logger.ts';
import { TopicFollower } from './topic-follower.ts';
import { ensureTopic } from './topics.ts';

export interface TableCodec<V> {
  /** What the log calls these records, in warnings ("the configs topic"). */
  readonly what: string;
  encode(value: V): string;
  /** `undefined` when the text is not a valid value. */
  decode(text: string): V | undefined;
}

export class CompactedTable<V> {
  private readonly rows = new Map<string, V>();
  private readonly follower: TopicFollower;
  private readonly listeners = new Set<() => void>();

  constructor(
    client: Client,
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly topic: string,
    private readonly codec: TableCodec<V>,
    protected readonly log: Logger,
  ) {
    this.follower = new TopicFollower(client, topic, (message) => {
      const key = message.key?.toString('utf8');
      if (key === undefined) return;
      if (!this.apply(key, message.value?.toString('utf8') ?? null)) {
        this.log.warn(`unreadable record in ${codec.what}`, { key, offset: message.offset });
        return;
      }
      for (const listener of this.listeners) listener();
    });
  }

  /**
   * Creates the topic if needed and starts following it. With `catchUp`, resolves only
   * once every record written before the call has been applied.
   */
  async start(options: { catchUp: boolean }, signal?: AbortSignal): Promise<void> {
    await ensureTopic(this.admin, { topic: this.topic, partitions: 1, compacted: true }, signal);
    await this.follower.start(this.admin, signal);
    if (options.catchUp) await this.follower.caughtUp(this.admin, signal);
  }

  /** Called after each applied change. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  get(key: string): V | undefined {
    return this.rows.get(key);
  }

  all(): ReadonlyMap<string, V> {
    return this.rows;
  }

  /** Writes a row (null deletes it); resolves once this worker has read it back. */
  async write(key: string, value: V | null): Promise<void> {
    const [result] = await this.send(key, value);
    if (result !== undefined) await this.follower.applied(0, result.lastOffset);
  }

  /**
   * Writes a row without waiting: best effort, in order with the other writes of this
   * producer (one partition). A failure is only logged.
   */
  writeInBackground(key: string, value: V | null): void {
    this.send(key, value).catch((error: unknown) =>
      this.log.warn(`could not write to ${this.codec.what}`, { key, error: String(error) }),
    );
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  private send(key: string, value: V | null) {
    const text = value === null ? null : this.codec.encode(value);
    return this.producer.send({
      topic: this.topic,
      messages: [{ key, value: text, partition: 0 }],
    });
  }

  /** Returns false when the record does not decode (the table is then unchanged). */
  private apply(key: string, text: string | null): boolean {
    if (text === null) {
      this.rows.delete(key);
      return true;
    }
    const value = this.codec.decode(text);
    if (value === undefined) return false;
    this.rows.set(key, value);
    return true;
  }
}
