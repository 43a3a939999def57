/**
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of
 * min(maxMs, minMs * 2^n). Randomness is handed in, so tests are deterministic.
 */
import { assert } from '../durable/assert.ts';

export class Backoff {
  private attempts = 0;

  constructor(
    private readonly random: () => number,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    assert(minMs > 0 && maxMs >= minMs, 'backoff bounds out of order');
  }

  get attemptCount(): number {
    return this.attempts;
  }

  nextDelayMs(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempts, 30));
    this.attempts += 1;
    const draw = this.random();
    assert(draw >= 0 && draw < 1, 'random() must return a number in [0, 1)');
    return Math.round(ceiling / 2 + (draw * ceiling) / 2);
  }

  reset(): void {
    this.attempts = 0;
  }
}
