/**
 * The records handed to the producer and not yet acknowledged: bounded (reading stdin
 * waits when full), counting acknowledgements, and remembering the first failure so the
 * command stops reading and reports it.
 */
import { assert } from '../errors.ts';

export class PendingSends {
  private readonly inFlight = new Set<Promise<void>>();
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

  /** Tracks one send; resolves once there is room for another. */
  async add(send: Promise<unknown>): Promise<void> {
    const tracked = send.then(
      () => {
        this.acknowledged += 1;
      },
      (error: unknown) => this.fail(error),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    while (this.inFlight.size >= this.capacity) await Promise.race(this.inFlight);
  }

  /** Waits for every send to settle. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
