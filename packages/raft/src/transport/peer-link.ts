/**
 * One peer as this node sees it: its address (if this node dials it), its bounded send
 * queue, its current authenticated connection (at most one), reconnection state and
 * counters. The peer with the lower node id dials; the other waits to be dialed.
 */
import type WebSocket from 'ws';
import type { NodeId } from '../core/types.ts';
import type { Backoff } from './backoff.ts';
import type { SendQueue } from './send-queue.ts';

/**
 * connecting: dialing or in the handshake; connected: authenticated and open;
 * backoff: waiting to dial again; waiting: the peer dials us and has not (yet);
 * closed: removed or the transport closed.
 */
export type PeerConnectionState = 'connecting' | 'connected' | 'backoff' | 'waiting' | 'closed';

export interface PeerCounters {
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  /** Entries in the Append messages sent (a resend counts again). */
  entriesSent: number;
  /** Dropped because the queue was full (oldest first). */
  droppedQueueFull: number;
  /** Dropped because one message alone would pass the frame limit. */
  droppedOversize: number;
  /** Received values the validator refused. */
  invalidMessages: number;
  /** Valid messages whose `from` or `to` did not match this connection. */
  misaddressedMessages: number;
  /** Received frames that did not decode. */
  malformedFrames: number;
  connects: number;
  disconnects: number;
}

export interface PeerStats extends PeerCounters {
  readonly peerId: NodeId;
  readonly url: string | undefined;
  readonly state: PeerConnectionState;
  readonly queueMessages: number;
  readonly queueBytes: number;
}

export class PeerLink {
  state: PeerConnectionState;
  /** The authenticated connection, if any. */
  socket: WebSocket | undefined;
  /** A connection being dialed and authenticated. */
  pending: WebSocket | undefined;
  /** Cleared at each ping, set by the pong. */
  alive = true;
  reconnectTimer: NodeJS.Timeout | undefined;
  drainScheduled = false;
  readonly backoff: Backoff;
  readonly queue: SendQueue;
  readonly counters: PeerCounters = {
    bytesSent: 0,
    entriesSent: 0,
    bytesReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    droppedQueueFull: 0,
    droppedOversize: 0,
    invalidMessages: 0,
    misaddressedMessages: 0,
    malformedFrames: 0,
    connects: 0,
    disconnects: 0,
  };

  constructor(
    readonly peerId: NodeId,
    public url: string | undefined,
    readonly dialer: boolean,
    queue: SendQueue,
    backoff: Backoff,
  ) {
    this.queue = queue;
    this.backoff = backoff;
    this.state = dialer ? 'connecting' : 'waiting';
  }

  stats(): PeerStats {
    return {
      peerId: this.peerId,
      url: this.url,
      state: this.state,
      queueMessages: this.queue.count,
      queueBytes: this.queue.bytes,
      ...this.counters,
    };
  }
}
