/**
 * Runs asynchronous calls one at a time, in the order they were made: each starts once
 * every earlier one has settled. For work whose effects must land in call order although a
 * call may wait (for metadata, buffer memory, a retry): a producer's hand-overs, a
 * consumer's offset commits.
 *
 * An interrupt (abort, timeout) ends a call's wait for its turn; the calls after it still
 * wait for the ones before it.
 */
import { abortable, type Interrupt } from './abort.ts';

export class CallOrder {
  /** Settles, to nothing, once every call made so far has settled. */
  private tail: Promise<void> = Promise.resolve();
  /** Calls whose settling, or an earlier call's, is still to come. */
  private unsettled = 0;

  /** Runs `call` (which must return a promise, not throw) in its turn. */
  run<T>(interrupt: Interrupt | undefined, call: () => Promise<T>): Promise<T> {
    const idle = this.unsettled === 0;
    const earlier = this.tail;
    // Nothing in progress, the usual case: start now, without waiting for a settled tail.
    const result = idle ? call() : abortable(earlier, interrupt).then(call);
    this.unsettled += 1;
    const settled = () => {
      this.unsettled -= 1;
    };
    // Settles to nothing: a tail holding each call's outcome would keep them all alive.
    this.tail = (idle ? result : earlier.then(() => result)).then(settled, settled);
    return result;
  }
}
