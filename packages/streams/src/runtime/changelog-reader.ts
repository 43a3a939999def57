/**
 * Reads one changelog partition from an offset up to its end (the high watermark when the
 * restore starts), with a consumer assigned by hand (no group). Compaction leaves gaps in a
 * changelog's offsets, so the end is reached when the consumer's position passes the high
 * watermark, checked whenever no record has come for a while.
 */
import { StreamsError } from '../errors.ts';
import type { ChangelogRecord } from '../state/changelog.ts';
import type { ClientPort, ConsumedMessage } from './client-port.ts';
import { fromConsumed } from './headers.ts';

const idleCheckMs = 250;
const restoreStallMsMax = 60_000;

/** The records of one changelog partition; `endOffset` is where reading stopped (the high watermark). */
export class ChangelogPartitionReader implements AsyncIterable<ChangelogRecord> {
  endOffset: number | undefined;

  constructor(
    private readonly client: ClientPort,
    private readonly topic: string,
    private readonly partition: number,
    private readonly fromOffset: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<ChangelogRecord> {
    const admin = this.client.admin();
    await admin.connect();
    let high: bigint;
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      high = offsets.find((o) => o.partition === this.partition)?.high ?? 0n;
    } finally {
      await admin.disconnect();
    }
    this.endOffset = Math.max(this.fromOffset, Number(high));
    if (high > BigInt(this.fromOffset))
      yield* readRange(this.client, this.topic, this.partition, this.fromOffset, high);
  }
}

async function* readRange(
  client: ClientPort,
  topic: string,
  partition: number,
  fromOffset: number,
  high: bigint,
): AsyncGenerator<ChangelogRecord> {
  const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100 });
  await consumer.connect();
  const controller = new AbortController();
  try {
    consumer.assign([{ topic, partitions: [partition] }], { fromBeginning: true });
    const iterator = new IdleAwareIterator(
      consumer.messages({ signal: controller.signal, autoCommit: false })[Symbol.asyncIterator](),
    );
    let sought = false;
    let lastProgress = Date.now();
    while (true) {
      const next = await iterator.next(idleCheckMs);
      if (next === 'idle') {
        if (consumer.position(topic, partition) >= high) return;
        if (Date.now() - lastProgress > restoreStallMsMax) {
          throw new StreamsError(
            'RESTORE_STALLED',
            `restoring from ${topic}/${partition} made no progress for ${restoreStallMsMax} ms`,
            { retriable: true },
          );
        }
        continue;
      }
      if (next.done) return;
      lastProgress = Date.now();
      const message: ConsumedMessage = next.value;
      if (!sought && message.offset < BigInt(fromOffset)) {
        sought = true;
        consumer.seek({ topic, partition, offset: BigInt(fromOffset) });
        continue;
      }
      sought = true;
      if (message.offset < BigInt(fromOffset)) continue;
      if (message.key !== null)
        yield { key: message.key, value: message.value, headers: fromConsumed(message.headers) };
      if (message.offset >= high - 1n) return;
    }
  } finally {
    controller.abort();
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Wraps an iterator so a wait can end in `idle` without losing the `next()` in flight. */
class IdleAwareIterator<T> {
  private pending: Promise<IteratorResult<T>> | undefined;

  constructor(private readonly iterator: AsyncIterator<T>) {}

  async next(idleMs: number): Promise<IteratorResult<T> | 'idle'> {
    this.pending ??= this.iterator.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      timer = setTimeout(() => resolve('idle'), idleMs);
    });
    try {
      const result = await Promise.race([this.pending, idle]);
      if (result !== 'idle') this.pending = undefined;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }
}
