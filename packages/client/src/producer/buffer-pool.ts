/**
 * The bound on bytes a producer buffers (`bufferBytesMax`): records reserve their estimated
 * size before they join a batch and release it when their batch is acknowledged or fails.
 * When the bound is reached, `reserve` waits (in arrival order) for room, up to the call's
 * deadline or abort.
 */
import { type Interrupt, onInterrupt } from '../abort.ts';
import { assert } from '../assert.ts';

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class BufferPool {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacityBytes: number) {
    assert(capacityBytes > 0, 'buffer capacity must be positive');
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Reserves at once if there is room and nobody is waiting. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || this.used + bytes > this.capacityBytes) return false;
    this.used += bytes;
    return true;
  }

  reserve(bytes: number, interrupt: Interrupt): Promise<void> {
    assert(bytes <= this.capacityBytes, 'reservation larger than the pool');
    if (this.tryReserve(bytes)) return Promise.resolve();
    if (interrupt.aborted) return Promise.reject(interrupt.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve: () => {
          stop();
          resolve();
        },
        reject: (error) => {
          stop();
          reject(error);
        },
      };
      this.waiters.push(waiter);
      const stop = onInterrupt(interrupt, () => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(interrupt.reason);
        this.grant(); // a large waiter leaving may let smaller ones in
      });
    });
  }

  release(bytes: number): void {
    this.used -= bytes;
    assert(this.used >= 0, 'buffer released more than reserved');
    this.grant();
  }

  /** Rejects every waiter (producer closing). */
  close(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private grant(): void {
    for (;;) {
      const next = this.waiters[0];
      if (next === undefined || this.used + next.bytes > this.capacityBytes) return;
      this.waiters.shift();
      this.used += next.bytes;
      next.resolve();
    }
  }
}
