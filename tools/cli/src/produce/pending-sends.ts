/**
 * The records handed to the producer and not yet acknowledged: bounded in records (reading
 * stdin waits when full), counting acknowledged records, and remembering the first failure
 * so the command stops reading and reports it.
 */
import { assert } from '../errors.ts';

export class PendingSends {
  private readonly inFlight = new Set<Promise<void>>();
  private recordsInFlight = 0;
  acknowledged = 0;
  private failure: unknown;

  constructor(private readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, 'capacity must be a positive integer');
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** The first failure, which stops the command. */
  get firstError(): unknown {
    return this.failure;
  }

  /** Records a failure found outside a send (a malformed line). */
  fail(error: unknown): void {
    this.failure ??= error;
  }

  /** Tracks one send of `records` records; resolves once there is room for more. */
  async add(send: Promise<unknown>, records: number): Promise<void> {
    assert(Number.isSafeInteger(records) && records > 0, 'a send carries records');
    this.recordsInFlight += records;
    const tracked = send
      .then(
        () => {
          this.acknowledged += records;
        },
        (error: unknown) => this.fail(error),
      )
      .finally(() => {
        this.recordsInFlight -= records;
        this.inFlight.delete(tracked);
      });
    this.inFlight.add(tracked);
    while (this.recordsInFlight >= this.capacity && this.inFlight.size > 0) {
      await Promise.race(this.inFlight);
    }
  }

  /** Waits for every send to settle. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
