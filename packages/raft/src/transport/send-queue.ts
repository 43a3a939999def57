/**
 * The bounded queue of messages waiting for one peer, in messages and in (estimated)
 * bytes. When a push would pass either bound, the oldest messages are dropped first:
 * Raft tolerates loss, the newest messages carry the freshest state, and a peer that is
 * slow or down can never make this node's memory grow. Drops are counted by the caller.
 */
import type { Message } from '../core/types.ts';
import { assert } from '../durable/assert.ts';

export class SendQueue {
  private items: (Message | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytesHeld = 0;

  constructor(
    readonly messagesMax: number,
    readonly bytesMax: number,
  ) {
    assert(messagesMax >= 1 && bytesMax >= 1, 'a send queue holds at least one message');
  }

  get count(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** Adds a message; returns how many messages were dropped to make room (or it, if too big). */
  push(message: Message, size: number): number {
    if (size > this.bytesMax) return 1;
    let dropped = 0;
    while (this.count >= this.messagesMax || this.bytesHeld + size > this.bytesMax) {
      this.shift();
      dropped += 1;
    }
    this.items.push(message);
    this.sizes.push(size);
    this.bytesHeld += size;
    return dropped;
  }

  peekSize(): number | undefined {
    return this.count === 0 ? undefined : this.sizes[this.head];
  }

  shift(): Message | undefined {
    if (this.count === 0) return undefined;
    const message = this.items[this.head];
    this.bytesHeld -= this.sizes[this.head] as number;
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return message;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const count = this.count;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytesHeld = 0;
    return count;
  }
}
