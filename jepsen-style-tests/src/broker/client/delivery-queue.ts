/**
 * Between a consumer's handler and the `poll` operations: records in the order they were
 * delivered, with group assignments as markers between them. The handler waits while the
 * queue holds `capacity` records (so fetching pauses, as the consumer's backpressure
 * intends); a poll takes records up to the next marker, or the markers at the front, so an
 * assignment is recorded between the polls it separates.
 */
import type { AssignValue, PolledRecord } from '../../history/operation.ts';

export type Delivered =
  | { readonly kind: 'record'; readonly record: PolledRecord }
  | { readonly kind: 'assignment'; readonly assignment: AssignValue };

export interface Taken {
  readonly records: PolledRecord[];
  readonly assignments: AssignValue[];
}

export class DeliveryQueue {
  private items: Delivered[] = [];
  private records = 0;
  private closed = false;
  private readonly spaceWaiters = new Set<() => void>();
  private readonly itemWaiters = new Set<() => void>();

  constructor(private readonly capacity: number) {}

  get recordCount(): number {
    return this.records;
  }

  /** Waits for room, then appends a record; resolves at once (dropping it) once closed. */
  async pushRecord(record: PolledRecord): Promise<void> {
    while (!this.closed && this.records >= this.capacity) {
      await new Promise<void>((resolve) => this.spaceWaiters.add(resolve));
    }
    if (this.closed) return;
    this.items.push({ kind: 'record', record });
    this.records++;
    this.wake(this.itemWaiters);
  }

  /** Markers never wait: an assignment must not be held up behind a full queue. */
  pushAssignment(assignment: AssignValue): void {
    if (this.closed) return;
    this.items.push({ kind: 'assignment', assignment });
    this.wake(this.itemWaiters);
  }

  /**
   * Up to `max` records from the front, stopping before a marker; or, when a marker is at
   * the front, every marker there. Waits up to `waitMs` for something to arrive.
   */
  async take(max: number, waitMs: number, signal: AbortSignal): Promise<Taken> {
    if (this.items.length === 0 && !this.closed) await this.waitForItem(waitMs, signal);
    const taken: Taken = { records: [], assignments: [] };
    const markersFirst = this.items[0]?.kind === 'assignment';
    let count = 0;
    for (const item of this.items) {
      if (markersFirst ? item.kind !== 'assignment' : item.kind !== 'record') break;
      if (!markersFirst && taken.records.length >= max) break;
      if (item.kind === 'assignment') taken.assignments.push(item.assignment);
      else taken.records.push(item.record);
      count++;
    }
    this.items = this.items.slice(count);
    this.records -= taken.records.length;
    if (taken.records.length > 0) this.wake(this.spaceWaiters);
    return taken;
  }

  /** Removes records not yet taken that match (partitions given up before anyone saw them). */
  discard(matches: (record: PolledRecord) => boolean): void {
    const before = this.records;
    this.items = this.items.filter((item) => item.kind !== 'record' || !matches(item.record));
    this.records = this.items.filter((item) => item.kind === 'record').length;
    if (this.records < before) this.wake(this.spaceWaiters);
  }

  /** Releases every waiter; later pushes are dropped. */
  close(): void {
    this.closed = true;
    this.items = [];
    this.records = 0;
    this.wake(this.spaceWaiters);
    this.wake(this.itemWaiters);
  }

  private waitForItem(waitMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.itemWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal.addEventListener('abort', done, { once: true });
      this.itemWaiters.add(done);
    });
  }

  private wake(waiters: Set<() => void>): void {
    const all = [...waiters];
    waiters.clear();
    for (const resolve of all) resolve();
  }
}
