/**
 * The simulated network: every message gets a random delay (so messages reorder), may be
 * dropped or duplicated, and never crosses a blocked link. Links are blocked one way at a
 * time, which composes into symmetric partitions, one-way partitions, bridges and an
 * isolated leader. Delivery order is a deterministic function of the seed.
 */
import type { SeededPrng } from '../core/prng.ts';
import type { Message, NodeId } from '../core/types.ts';

export interface NetworkFaults {
  dropPercent: number;
  duplicatePercent: number;
  /** Delays are drawn in [1, delayTicksMax]. */
  delayTicksMax: number;
  /** Chance of a delay of up to `lateTicksMax` instead (a message from the past). */
  latePercent: number;
  lateTicksMax: number;
}

interface InFlight {
  readonly deliverAt: number;
  readonly sequence: number;
  readonly message: Message;
}

export class SimNetwork {
  faults: NetworkFaults;
  private readonly prng: SeededPrng;
  private readonly blocked = new Set<string>();
  private heap: InFlight[] = [];
  private sequence = 0;
  sent = 0;
  dropped = 0;
  duplicated = 0;
  onDrop: (message: Message, why: string) => void = () => {};

  constructor(prng: SeededPrng, faults: NetworkFaults) {
    this.prng = prng;
    this.faults = faults;
  }

  send(message: Message, now: number): void {
    this.sent++;
    if (this.blocked.has(`${message.from}>${message.to}`)) {
      this.dropped++;
      this.onDrop(message, 'partition');
      return;
    }
    if (this.prng.chance(this.faults.dropPercent)) {
      this.dropped++;
      this.onDrop(message, 'loss');
      return;
    }
    this.enqueue(message, now);
    if (this.prng.chance(this.faults.duplicatePercent)) {
      this.duplicated++;
      this.enqueue(message, now);
    }
  }

  private enqueue(message: Message, now: number): void {
    const late = this.faults.latePercent > 0 && this.prng.chance(this.faults.latePercent);
    const delay =
      1 + this.prng.nextInt(late ? this.faults.lateTicksMax : this.faults.delayTicksMax);
    this.push({ deliverAt: now + delay, sequence: this.sequence++, message });
  }

  /** Puts a message back to be delivered at `at` (its recipient is paused). */
  hold(message: Message, at: number): void {
    this.push({ deliverAt: at, sequence: this.sequence++, message });
  }

  /** Removes and returns the next message due at or before `now`, if any. */
  nextDue(now: number): Message | undefined {
    const top = this.heap[0];
    if (top === undefined || top.deliverAt > now) return undefined;
    const last = this.heap.pop() as InFlight;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top.message;
  }

  get inFlight(): number {
    return this.heap.length;
  }

  block(from: NodeId, to: NodeId): void {
    if (from !== to) this.blocked.add(`${from}>${to}`);
  }

  /** Blocks both directions between every node of `a` and every node of `b`. */
  split(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y);
        this.block(y, x);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  describeBlocked(): string {
    return [...this.blocked].sort().join(' ');
  }

  private before(a: InFlight, b: InFlight): boolean {
    return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.sequence < b.sequence);
  }

  private push(item: InFlight): void {
    const heap = this.heap;
    heap.push(item);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(heap[at] as InFlight, heap[parent] as InFlight)) break;
      [heap[at], heap[parent]] = [heap[parent] as InFlight, heap[at] as InFlight];
      at = parent;
    }
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    let at = start;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < heap.length && this.before(heap[left] as InFlight, heap[smallest] as InFlight))
        smallest = left;
      if (right < heap.length && this.before(heap[right] as InFlight, heap[smallest] as InFlight))
        smallest = right;
      if (smallest === at) return;
      [heap[at], heap[smallest]] = [heap[smallest] as InFlight, heap[at] as InFlight];
      at = smallest;
    }
  }
}
