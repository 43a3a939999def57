/**
 * Sends what tasks write (outputs and repartition records) through the producer in batches,
 * keeps track of every send until it is acknowledged, and reports the first failure at the
 * next `flush` (a commit), so nothing is committed past a record that was not written.
 */
import type { OutputRecord } from '../engine/record.ts';
import type { PortMessage, ProducerPort } from './client-port.ts';
import { toProduced } from './headers.ts';

/** Sends in flight before processing waits for one to finish (backpressure). */
export const sendsInFlightMax = 64;
/** Records collected before they are handed to the producer in one `sendBatch`. */
export const sendRecordsMin = 4_000;
/** ...or once the oldest collected record has waited this long. */
export const sendLingerMs = 10;

export class OutputSender {
  private pending: OutputRecord[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private failure: unknown;
  private oldestPendingMs = 0;
  recordsSent = 0;

  constructor(private readonly producer: () => ProducerPort) {}

  collect(record: OutputRecord): void {
    if (this.pending.length === 0) this.oldestPendingMs = Date.now();
    this.pending.push(record);
  }

  /**
   * Sends when enough records are collected or they have waited long enough: few large
   * `sendBatch` calls rather than one per consumed batch, so the bound on sends in flight
   * does not bound throughput by the produce latency.
   */
  maybeSend(): void {
    if (
      this.pending.length >= sendRecordsMin ||
      (this.pending.length > 0 && Date.now() - this.oldestPendingMs >= sendLingerMs)
    ) {
      this.sendPending();
    }
  }

  /** Hands collected records to the producer (one `sendBatch`); returns at once. */
  sendPending(): void {
    if (this.pending.length === 0) return;
    const byTopic = new Map<string, PortMessage[]>();
    for (const r of this.pending) {
      const messages = byTopic.get(r.topic) ?? [];
      messages.push(toMessage(r));
      byTopic.set(r.topic, messages);
    }
    this.recordsSent += this.pending.length;
    this.pending = [];
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const send: Promise<void> = this.producer()
      .sendBatch({ topicMessages })
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= error;
        },
      )
      .finally(() => this.inflight.delete(send));
    this.inflight.add(send);
  }

  /** Waits while too many sends are in flight. */
  async backpressure(): Promise<void> {
    while (this.inflight.size > sendsInFlightMax) await Promise.race(this.inflight);
  }

  /** Sends everything collected and waits until all of it is acknowledged; throws the first failure. */
  async flush(): Promise<void> {
    this.sendPending();
    await Promise.all(this.inflight);
    if (this.failure !== undefined) throw this.failure;
  }
}

export function toMessage(r: OutputRecord): PortMessage {
  return {
    key: r.key === null ? null : Buffer.from(r.key.buffer, r.key.byteOffset, r.key.length),
    value:
      r.value === null ? null : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length),
    ...(r.partition === undefined ? {} : { partition: r.partition }),
    headers: toProduced(r.headers),
    timestamp: Math.max(0, r.timestamp),
  };
}
