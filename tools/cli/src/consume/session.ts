/**
 * One run of `topic consume`: prints each batch of records, counts them, and decides when
 * to stop (the count reached, every partition at its end, an interrupt, or a consumer
 * failure). Records are marked consumed (and so committed, with a group) only once
 * printed, so a group resumes after exactly the last record shown.
 */
import type { Consumer, EachBatchPayload } from '@tributary/client';
import type { Output } from '../output.ts';
import type { ConsumePlan } from './plan.ts';
import type { Printer } from './printer.ts';
import { reachedEnd } from './until-end.ts';

export class ConsumeSession {
  /** Records printed so far. */
  count = 0;
  /** Whether records may be printed (without a group: once every partition is positioned). */
  private ready = false;
  private assigned = false;
  private done = false;
  private failure: unknown;
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(
    private readonly plan: ConsumePlan,
    private readonly consumer: Consumer,
    private readonly printer: Printer,
    private readonly out: Output,
    /** Per partition, the log end when consuming started (for --until-end). */
    private readonly ends: ReadonlyMap<number, bigint>,
  ) {}

  /** The consumer failed for good: stop and report it. */
  fail(error: unknown): void {
    this.failure ??= error;
    this.finish();
  }

  get error(): unknown {
    return this.failure;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.resolveFinished();
  }

  /** Partitions are assigned and positioned: records may now be printed. */
  start(): void {
    this.ready = true;
  }

  /** The group gave this member its assignment (or, without a group, seeks are done). */
  markAssigned(): void {
    this.assigned = true;
    this.checkEnd();
  }

  checkEnd(): void {
    if (!this.plan.untilEnd || !this.assigned || this.done) return;
    const assigned = this.consumer
      .assignment()
      .filter((tp) => tp.topic === this.plan.topic)
      .map((tp) => ({
        partition: tp.partition,
        position: this.consumer.position(tp.topic, tp.partition),
      }));
    if (reachedEnd(assigned, this.ends)) this.finish();
  }

  readonly handleBatch = async ({ batch, resolveOffset, isRunning }: EachBatchPayload) => {
    if (!this.ready || this.done) return;
    if (batch.isEmpty()) {
      resolveOffset(batch.lastOffset());
      this.checkEnd();
      return;
    }
    let text = '';
    let printed = 0;
    for (const message of batch.messages) {
      if (this.done || !isRunning()) break;
      text += this.printer(message);
      printed += 1;
      this.count += 1;
      if (this.plan.count !== undefined && this.count >= this.plan.count) this.finish();
    }
    if (printed === 0) return;
    await this.out.print(text);
    const whole = printed === batch.messages.length;
    // A whole batch also moves past trailing offsets without records (compaction, markers).
    resolveOffset(whole ? batch.lastOffset() : (batch.messages[printed - 1]?.offset ?? -1n));
    this.out.progress(`consumed ${this.count} records`);
    this.checkEnd();
  };
}
