/**
 * The bounded queue of messages waiting for one peer, in messages and in (estimated)
 * bytes. When a push would pass either bound, the oldest messages are dropped first:
 * Raft tolerates loss, the newest messages carry the freshest state, and a peer that is
 * slow or down can never make this node's memory grow. Drops are counted by the caller.
 *
 * Appends coalesce: an Append whose entries continue, in the same term, the entries of
 * the group's latest message still waiting here (an Append too) is merged into it, up to
 * `mergeBytesMax`. While a socket is backed up, a leader that sends every turn would
 * otherwise queue one small Append per group per turn, and with hundreds of groups the
 * oldest would be dropped (each drop costs a rejection and a resend); merged, the queue
 * holds about one Append per group and the peer steps and answers one.
 */
import { type AppendRequest, type Entry, type Message, MessageType } from '../core/types.ts';
import { assert } from '../durable/assert.ts';

/** An Append this queue built by merging: it owns the object and its entries array. */
interface MergedAppend extends AppendRequest {
  commit: number;
  readonly entries: Entry[];
}

export class SendQueue {
  private items: (Message | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  /** The sequence number of `items[0]` (every pushed message gets the next one). */
  private base = 0;
  private bytesHeld = 0;
  /** Per group, the sequence number of its latest message pushed. */
  private readonly latestOfGroup = new Map<number, number>();
  private readonly merged = new WeakSet<Message>();

  constructor(
    readonly messagesMax: number,
    readonly bytesMax: number,
    readonly mergeBytesMax = 0,
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
    if (this.mergeInto(message, size)) return this.dropToBounds(0, 0);
    const dropped = this.dropToBounds(1, size);
    this.latestOfGroup.set(message.group, this.base + this.items.length);
    this.items.push(message);
    this.sizes.push(size);
    this.bytesHeld += size;
    return dropped;
  }

  /** Drops the oldest until `messages` more messages and `bytes` more bytes fit. */
  private dropToBounds(messages: number, bytes: number): number {
    let dropped = 0;
    while (
      this.count > 0 &&
      (this.count + messages > this.messagesMax || this.bytesHeld + bytes > this.bytesMax)
    ) {
      this.shift();
      dropped += 1;
    }
    return dropped;
  }

  /** Merges an Append into the group's waiting Append it continues; whether it did. */
  private mergeInto(message: Message, size: number): boolean {
    if (message.type !== MessageType.Append || message.entries.length === 0) return false;
    const sequence = this.latestOfGroup.get(message.group);
    if (sequence === undefined || sequence < this.base + this.head) return false;
    const position = sequence - this.base;
    const waiting = this.items[position];
    const waitingSize = this.sizes[position] as number;
    if (
      waiting === undefined ||
      waiting.type !== MessageType.Append ||
      waiting.term !== message.term ||
      waiting.to !== message.to ||
      waiting.entries.length === 0 ||
      (waiting.entries[waiting.entries.length - 1] as Entry).index !== message.prevLogIndex ||
      waitingSize + size > this.mergeBytesMax
    )
      return false;
    let target: MergedAppend;
    if (this.merged.has(waiting)) target = waiting as MergedAppend;
    else {
      target = { ...waiting, entries: waiting.entries.slice() };
      this.merged.add(target);
      this.items[position] = target;
    }
    for (const entry of message.entries) target.entries.push(entry);
    target.commit = Math.max(target.commit, message.commit);
    this.sizes[position] = waitingSize + size;
    this.bytesHeld += size;
    return true;
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
      this.base += this.head;
      this.head = 0;
    }
    return message;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const count = this.count;
    this.base += this.items.length;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytesHeld = 0;
    this.latestOfGroup.clear();
    return count;
  }
}
