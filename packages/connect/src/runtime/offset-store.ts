/**
 * Source positions, stored in the replicated, compacted offsets topic so that a restarted
 * task (on this worker or another) resumes where its predecessor stopped. One record per
 * (connector, source partition), the last one wins:
 *
 *   key   = JSON [connector, sourcePartition]
 *   value = JSON { v: 1, position, seq, marks: [[topic, partition, offset]] }  (null: forgotten)
 *
 * `position`: every record up to it was written (null: none yet); `seq`: the sequence
 * number the next record gets; `marks`: for each topic partition the task writes to, an
 * offset before which no record numbered `seq` or later can sit — where a recovery starts
 * reading the tail back (`source-recovery.ts`). Offsets and sequence numbers are decimal
 * text in JSON, as they are bigints.
 */
import { type Admin, type Client, type Producer, partitionForKey } from '@tributary/client';
import { isPlainObject } from '../config/config-reader.ts';
import { ConnectError } from '../errors.ts';
import type { JsonValue } from '../records.ts';
import { readPartitionRange } from './partition-reader.ts';
import { ensureTopic } from './topics.ts';

export interface Mark {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

export interface StoredSourceOffset {
  readonly position: JsonValue;
  readonly seq: bigint;
  readonly marks: readonly Mark[];
}

export const emptyOffset: StoredSourceOffset = { position: null, seq: 0n, marks: [] };

const formatVersion = 1;

export function offsetKey(connector: string, sourcePartition: string): string {
  return JSON.stringify([connector, sourcePartition]);
}

export function encodeOffset(stored: StoredSourceOffset): string {
  return JSON.stringify({
    v: formatVersion,
    position: stored.position,
    seq: stored.seq.toString(),
    marks: stored.marks.map((m) => [m.topic, m.partition, m.offset.toString()]),
  });
}

const decimal = /^(0|[1-9]\d*)$/;

export function decodeOffset(text: string): StoredSourceOffset {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConnectError('OFFSETS_UNREADABLE', 'an offsets record is not JSON', { cause: error });
  }
  const bad = (why: string) =>
    new ConnectError('OFFSETS_UNREADABLE', `bad offsets record (${why}): ${text.slice(0, 200)}`);
  if (!isPlainObject(value) || value.v !== formatVersion) throw bad('version');
  if (typeof value.seq !== 'string' || !decimal.test(value.seq)) throw bad('seq');
  if (!Array.isArray(value.marks)) throw bad('marks');
  const marks = value.marks.map((mark: unknown): Mark => {
    if (
      !Array.isArray(mark) ||
      typeof mark[0] !== 'string' ||
      !Number.isSafeInteger(mark[1]) ||
      typeof mark[2] !== 'string' ||
      !decimal.test(mark[2])
    ) {
      throw bad('mark');
    }
    return { topic: mark[0], partition: mark[1] as number, offset: BigInt(mark[2]) };
  });
  return { position: (value.position ?? null) as JsonValue, seq: BigInt(value.seq), marks };
}

export class OffsetStore {
  private partitions: number | undefined;

  constructor(
    private readonly client: Client,
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly topic: string,
    private readonly partitionsWanted: number,
  ) {}

  async open(signal?: AbortSignal): Promise<void> {
    this.partitions = await ensureTopic(
      this.admin,
      { topic: this.topic, partitions: this.partitionsWanted, compacted: true },
      signal,
    );
  }

  private partitionOf(key: string): number {
    if (this.partitions === undefined)
      throw new ConnectError('OFFSETS_UNREADABLE', 'offset store not open', { retriable: true });
    return partitionForKey(Buffer.from(key, 'utf8'), this.partitions);
  }

  /** The last stored offsets of these source partitions, read back to the topic's end. */
  async load(
    connector: string,
    sourcePartitions: readonly string[],
    signal?: AbortSignal,
  ): Promise<Map<string, StoredSourceOffset>> {
    const wanted = new Map(sourcePartitions.map((sp) => [offsetKey(connector, sp), sp]));
    const partitions = new Set([...wanted.keys()].map((key) => this.partitionOf(key)));
    const found = new Map<string, StoredSourceOffset>();
    const ends = await this.admin.fetchTopicOffsets(
      this.topic,
      signal === undefined ? {} : { signal },
    );
    for (const partition of partitions) {
      const end = ends.find((o) => o.partition === partition);
      if (end === undefined) continue;
      await readPartitionRange(
        this.client,
        { topic: this.topic, partition, fromOffset: end.low, toOffset: end.high },
        (message) => {
          const sourcePartition =
            message.key === null ? undefined : wanted.get(message.key.toString('utf8'));
          if (sourcePartition === undefined) return;
          if (message.value === null) found.delete(sourcePartition);
          else found.set(sourcePartition, decodeOffset(message.value.toString('utf8')));
        },
        signal === undefined ? {} : { signal },
      );
    }
    return found;
  }

  async save(
    connector: string,
    sourcePartition: string,
    stored: StoredSourceOffset,
  ): Promise<void> {
    const key = offsetKey(connector, sourcePartition);
    await this.producer.send({
      topic: this.topic,
      messages: [{ key, value: encodeOffset(stored), partition: this.partitionOf(key) }],
    });
  }
}
