/**
 * A counting semaphore for in-flight requests: `capacity` slots, FIFO waiters, waits that
 * honour an AbortSignal, and `close(error)` that rejects every waiter.
 */
import { assert } from '../assert.ts';

interface Waiter {
  readonly grant: () => void;
  readonly reject: (error: unknown) => void;
}

export class InflightSlots {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  private closedWith: unknown;
  private closed = false;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, 'capacity must be >= 1');
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  tryAcquire(): boolean {
    if (this.closed || this.used >= this.capacity || this.waiters.length > 0) return false;
    this.used += 1;
    return true;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.closedWith);
    if (this.tryAcquire()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    if (this.closed) return;
    assert(this.used > 0, 'release without acquire');
    const next = this.waiters.shift();
    if (next === undefined) this.used -= 1;
    else next.grant(); // the slot passes straight to the next waiter
  }

  close(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
