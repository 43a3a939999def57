/**
 * The authenticated WebSocket peer transport: one connection per pair of nodes carries
 * the messages of every Raft group between them, batched into frames.
 *
 *   const transport = await PeerTransport.start({ nodeId, listen, peers, secret,
 *     validate: validateMessage, onMessages: (from, messages) => host.step(messages) });
 *   transport.send(ready.messages);          // fire and forget, routed by message.to
 *
 * - The peer with the lower node id dials, reconnecting with exponential backoff and
 *   jitter; the other accepts. A new authenticated connection from a peer replaces its
 *   old one (the peer restarted).
 * - Both sides authenticate each other (handshake.ts); a process without the secret
 *   never gets a message delivered, and every failed attempt is counted and logged.
 * - Sends are queued per peer, bounded in messages and bytes (oldest dropped first), so
 *   memory does not grow while a peer is slow or down; frames are bounded both ways
 *   (ws maxPayload); a socket with too much unsent data gets no more frames until it
 *   drains.
 * - Every received value passes the host's validator, and must name the connection's
 *   peer as sender and this node as receiver; malformed frames are dropped and counted.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { type Message, MessageType, type NodeId } from '../core/types.ts';
import { assert } from '../durable/assert.ts';
import { Backoff } from './backoff.ts';
import { TransportError } from './errors.ts';
import { decodeMessagesFrame, encodeMessagesFrame, estimateMessageBytes } from './frame.ts';
import { FramePool } from './frame-pool.ts';
import {
  acceptorProof,
  type Challenge,
  decodeAuth,
  decodeChallenge,
  decodeWelcome,
  dialerProof,
  encodeAuth,
  encodeChallenge,
  encodeWelcome,
  newNonce,
  proofMatches,
} from './handshake.ts';
import {
  frameBytesMaxDefault,
  frameBytesTarget,
  framePoolBuffersMax,
  framePoolSlackBytes,
  handshakeTimeoutMsDefault,
  pingIntervalMsDefault,
  queueBytesMaxDefault,
  queueMessagesMaxDefault,
  reconnectDelayMsMaxDefault,
  reconnectDelayMsMin,
  secretBytesMin,
  socketBufferedBytesHigh,
  unauthenticatedBytesMax,
  unauthenticatedConnectionsMax,
} from './limits.ts';
import { PeerLink, type PeerStats } from './peer-link.ts';
import { SendQueue } from './send-queue.ts';

export interface TransportLogger {
  warn(event: string, fields: Record<string, unknown>): void;
  info?(event: string, fields: Record<string, unknown>): void;
}

export interface PeerTransportOptions {
  readonly nodeId: NodeId;
  /** Where to accept peers; port 0 picks a free port (see `port`). */
  readonly listen: { readonly host: string; readonly port: number };
  /** Known peers and their URLs (`ws://host:port`). */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** The cluster secret (at least 16 bytes); it never leaves the process. */
  readonly secret: string | Uint8Array;
  /**
   * Checks a received value's shape; returns the message, or undefined or an Error (such
   * as the core's InvalidMessageError, from `validateMessage`) to drop it.
   */
  readonly validate: (value: unknown) => Message | Error | undefined;
  /** Receives each frame's valid messages, in order. */
  readonly onMessages: (from: NodeId, messages: Message[]) => void;
  readonly logger?: TransportLogger;
  /** Randomness for reconnection jitter, in [0, 1) (default Math.random). */
  readonly random?: () => number;
  readonly frameBytesMax?: number;
  readonly queueMessagesMax?: number;
  readonly queueBytesMax?: number;
  readonly handshakeTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly reconnectDelayMsMax?: number;
}

export interface TransportStats {
  readonly nodeId: NodeId;
  readonly port: number;
  /** Handshakes refused: wrong or missing secret, bad ids, garbage, timeouts. */
  readonly authFailures: number;
  /** Inbound connections cut because too many were still unauthenticated. */
  readonly unauthenticatedRejected: number;
  /** Connections cut because the peer sent a frame above the frame limit. */
  readonly oversizeFramesReceived: number;
  /** Messages sent to a node this transport does not know. */
  readonly unknownPeerDrops: number;
  readonly peers: ReadonlyMap<NodeId, PeerStats>;
}

const warningsPerSecondMax = 10;

function consoleLogger(): TransportLogger {
  return {
    warn: (event, fields) => console.warn(JSON.stringify({ level: 'warn', event, ...fields })),
  };
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class PeerTransport {
  private readonly links = new Map<NodeId, PeerLink>();
  /** Connections still in their handshake (both roles), cut on close. */
  private readonly unauthenticated = new Set<WebSocket>();
  /** Inbound connections still in their handshake, bounded. */
  private readonly inboundPending = new Set<WebSocket>();
  private readonly secret: Buffer;
  private readonly logger: TransportLogger;
  private readonly random: () => number;
  private readonly frameBytesMax: number;
  private readonly handshakeTimeoutMs: number;
  private readonly pingTimer: NodeJS.Timeout;
  private closed = false;
  private listenPort: number | undefined;
  private readonly framePool = new FramePool(
    frameBytesTarget + framePoolSlackBytes,
    framePoolBuffersMax,
  );
  private readonly allocateFrame = (bytes: number) => this.framePool.allocate(bytes);
  private warnings = { second: 0, count: 0, suppressed: 0 };
  private readonly counters = {
    authFailures: 0,
    unauthenticatedRejected: 0,
    oversizeFramesReceived: 0,
    unknownPeerDrops: 0,
  };

  private constructor(
    private readonly options: PeerTransportOptions,
    private readonly server: WebSocketServer,
  ) {
    this.secret = Buffer.from(options.secret);
    this.logger = options.logger ?? consoleLogger();
    this.random = options.random ?? Math.random;
    this.frameBytesMax = options.frameBytesMax ?? frameBytesMaxDefault;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? handshakeTimeoutMsDefault;
    this.pingTimer = setInterval(
      () => this.pingAll(),
      options.pingIntervalMs ?? pingIntervalMsDefault,
    );
    this.pingTimer.unref();
    server.on('connection', (socket, request) => this.acceptInbound(socket, request));
    server.on('error', (error) => this.logger.warn('peer-server-error', { error: error.message }));
  }

  /** Listens, then starts dialing the known peers with a higher node id. */
  static async start(options: PeerTransportOptions): Promise<PeerTransport> {
    checkOptions(options);
    const frameBytesMax = options.frameBytesMax ?? frameBytesMaxDefault;
    const server = new WebSocketServer({
      host: options.listen.host,
      port: options.listen.port,
      maxPayload: frameBytesMax,
      perMessageDeflate: false,
      clientTracking: false,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (error) =>
        reject(
          new TransportError('LISTEN_FAILED', `cannot listen: ${error.message}`, true, {
            cause: error,
          }),
        ),
      );
    });
    const transport = new PeerTransport(options, server);
    for (const [peerId, url] of options.peers) transport.addPeer(peerId, url);
    return transport;
  }

  get nodeId(): NodeId {
    return this.options.nodeId;
  }

  get port(): number {
    if (this.listenPort === undefined) {
      const address = this.server.address();
      assert(typeof address === 'object' && address !== null, 'the peer server listens on TCP');
      this.listenPort = address.port;
    }
    return this.listenPort;
  }

  /** What waits in the queue for a peer (for the host's flow control); zeros if unknown. */
  queued(peerId: NodeId): { messages: number; bytes: number } {
    const queue = this.links.get(peerId)?.queue;
    return { messages: queue?.count ?? 0, bytes: queue?.bytes ?? 0 };
  }

  /** Queues each message for its `to` node; never blocks, never throws on network trouble. */
  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const message of messages) {
      const link = this.links.get(message.to);
      if (link === undefined) {
        this.counters.unknownPeerDrops += 1;
        continue;
      }
      const size = estimateMessageBytes(message);
      if (size > this.frameBytesMax) {
        link.counters.droppedOversize += 1;
        continue;
      }
      link.counters.droppedQueueFull += link.queue.push(message, size);
      this.scheduleDrain(link);
    }
  }

  /** Adds a peer, or changes its URL. This node dials it if its id is the higher one. */
  addPeer(peerId: NodeId, url: string): void {
    this.checkOpen();
    checkPeer(this.nodeId, peerId, url);
    const known = this.links.get(peerId);
    if (known !== undefined) {
      if (known.url === url) return;
      known.url = url;
      if (known.dialer) this.restartDial(known);
      return;
    }
    const link = this.newLink(peerId, url);
    if (link.dialer) this.dial(link);
  }

  /** Forgets a peer: closes its connection and drops what was queued for it. */
  removePeer(peerId: NodeId): void {
    const link = this.links.get(peerId);
    if (link === undefined) return;
    this.links.delete(peerId);
    this.shutLink(link);
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerStats>();
    for (const [id, link] of this.links) peers.set(id, link.stats());
    return { nodeId: this.nodeId, port: this.port, ...this.counters, peers };
  }

  /** Closes every connection and the listener. Queued messages are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const link of this.links.values()) this.shutLink(link);
    for (const socket of this.unauthenticated) socket.terminate();
    this.unauthenticated.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- accepting ----

  private acceptInbound(socket: WebSocket, request: IncomingMessage): void {
    const remote = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
    socket.on('error', () => {});
    if (this.closed || this.inboundPending.size >= unauthenticatedConnectionsMax) {
      this.counters.unauthenticatedRejected += 1;
      socket.terminate();
      return;
    }
    const release = this.guardHandshake(socket, request.socket, remote, 'acceptor');
    const acceptorNonce = newNonce();
    const challenge: Challenge = { acceptorId: this.nodeId, acceptorNonce };
    socket.send(encodeChallenge(challenge));
    socket.once('message', (data, isBinary) => {
      const auth = isBinary ? decodeAuth(toBuffer(data)) : undefined;
      const refusal = this.checkAuth(auth, acceptorNonce);
      if (auth === undefined || refusal !== undefined) {
        this.authFailed(
          socket,
          remote,
          'acceptor',
          auth?.dialerId,
          refusal ?? 'malformed auth message',
        );
        return;
      }
      release();
      socket.send(encodeWelcome(acceptorProof(this.secret, auth, acceptorNonce)));
      const link = this.links.get(auth.dialerId) ?? this.newLink(auth.dialerId, undefined);
      this.connected(link, socket);
    });
  }

  private checkAuth(
    auth: ReturnType<typeof decodeAuth>,
    acceptorNonce: Uint8Array,
  ): string | undefined {
    if (auth === undefined) return 'malformed auth message';
    if (auth.acceptorId !== this.nodeId)
      return `dialed node ${auth.acceptorId}, this is ${this.nodeId}`;
    if (auth.dialerId >= this.nodeId) return 'the node with the lower id dials';
    const challenge = { acceptorId: this.nodeId, acceptorNonce };
    const expected = dialerProof(this.secret, challenge, auth.dialerId, auth.dialerNonce);
    if (!proofMatches(expected, auth.dialerProof)) return 'wrong proof (no or another secret)';
    if (this.links.get(auth.dialerId)?.dialer === true) return 'this node dials that peer';
    return undefined;
  }

  // ---- dialing ----

  private dial(link: PeerLink): void {
    if (this.closed || this.links.get(link.peerId) !== link || link.url === undefined) return;
    link.state = 'connecting';
    const socket = new WebSocket(link.url, {
      maxPayload: this.frameBytesMax,
      perMessageDeflate: false,
      handshakeTimeout: this.handshakeTimeoutMs,
      // A zero mask lets ws skip masking (a copy of every frame). Masking protects HTTP
      // intermediaries from hostile browser scripts; peer links have neither.
      generateMask: (mask) => mask.fill(0),
    });
    link.pending = socket;
    // No byte budget on this side: the acceptor's welcome and its first data frame may
    // arrive in one read. The dialed URL is configured, the frame limit and deadline hold.
    const release = this.guardHandshake(socket, undefined, link.url, 'dialer');
    socket.on('error', (error) => this.noteError(link, socket, error));
    socket.on('close', () => {
      release();
      if (link.pending === socket) link.pending = undefined;
      this.disconnected(link, socket);
    });
    socket.once('message', (data, isBinary) => {
      const challenge = isBinary ? decodeChallenge(toBuffer(data)) : undefined;
      if (challenge === undefined || challenge.acceptorId !== link.peerId) {
        const problem =
          challenge === undefined
            ? 'malformed challenge'
            : `answered as node ${challenge.acceptorId}`;
        this.authFailed(socket, link.url ?? '', 'dialer', link.peerId, problem);
        return;
      }
      this.answerChallenge(link, socket, challenge, release);
    });
  }

  private answerChallenge(
    link: PeerLink,
    socket: WebSocket,
    challenge: Challenge,
    release: () => void,
  ): void {
    const dialerNonce = newNonce();
    const auth = {
      dialerId: this.nodeId,
      acceptorId: link.peerId,
      dialerNonce,
      dialerProof: dialerProof(this.secret, challenge, this.nodeId, dialerNonce),
    };
    socket.send(encodeAuth(auth));
    socket.once('message', (data, isBinary) => {
      const proof = isBinary ? decodeWelcome(toBuffer(data)) : undefined;
      const expected = acceptorProof(this.secret, auth, challenge.acceptorNonce);
      if (proof === undefined || !proofMatches(expected, proof)) {
        this.authFailed(
          socket,
          link.url ?? '',
          'dialer',
          link.peerId,
          'the peer could not prove the secret',
        );
        return;
      }
      release();
      link.pending = undefined;
      this.connected(link, socket);
    });
  }

  private scheduleReconnect(link: PeerLink): void {
    if (this.closed || !link.dialer || this.links.get(link.peerId) !== link) return;
    if (
      link.reconnectTimer !== undefined ||
      link.pending !== undefined ||
      link.socket !== undefined
    )
      return;
    link.state = 'backoff';
    link.reconnectTimer = setTimeout(() => {
      link.reconnectTimer = undefined;
      this.dial(link);
    }, link.backoff.nextDelayMs());
    link.reconnectTimer.unref();
  }

  private restartDial(link: PeerLink): void {
    clearTimeout(link.reconnectTimer);
    link.reconnectTimer = undefined;
    link.pending?.terminate();
    link.socket?.terminate();
    link.backoff.reset();
  }

  // ---- the authenticated connection ----

  private connected(link: PeerLink, socket: WebSocket): void {
    if (this.closed || this.links.get(link.peerId) !== link) {
      socket.terminate();
      return;
    }
    const previous = link.socket;
    link.socket = socket;
    if (previous !== undefined && previous !== socket) previous.terminate();
    link.state = 'connected';
    link.alive = true;
    link.backoff.reset();
    link.counters.connects += 1;
    socket.on('message', (data, isBinary) => this.receiveFrame(link, socket, data, isBinary));
    socket.on('pong', () => {
      link.alive = true;
    });
    if (!link.dialer) {
      socket.on('error', (error) => this.noteError(link, socket, error));
      socket.on('close', () => this.disconnected(link, socket));
    }
    this.logger.info?.('peer-connected', { nodeId: this.nodeId, peer: link.peerId });
    this.drain(link);
  }

  private disconnected(link: PeerLink, socket: WebSocket): void {
    if (link.socket === socket) {
      link.socket = undefined;
      link.counters.disconnects += 1;
      link.state = link.dialer ? 'backoff' : 'waiting';
    }
    if (link.dialer) this.scheduleReconnect(link);
  }

  private noteError(link: PeerLink, socket: WebSocket, error: Error): void {
    const code = (error as { code?: string }).code;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.counters.oversizeFramesReceived += 1;
      this.logger.warn('peer-frame-too-large', { nodeId: this.nodeId, peer: link.peerId });
    }
    if (link.socket === socket || link.pending === socket) socket.terminate();
  }

  private receiveFrame(
    link: PeerLink,
    socket: WebSocket,
    data: WebSocket.RawData,
    isBinary: boolean,
  ): void {
    if (link.socket !== socket) return;
    const bytes = toBuffer(data);
    const counters = link.counters;
    counters.framesReceived += 1;
    counters.bytesReceived += bytes.byteLength;
    const values = isBinary ? decodeMessagesFrame(bytes) : undefined;
    if (values === undefined) {
      counters.malformedFrames += 1;
      this.warnLimited('peer-frame-malformed', { peer: link.peerId, bytes: bytes.byteLength });
      return;
    }
    const accepted: Message[] = [];
    for (const value of values) {
      const message = this.options.validate(value);
      if (message === undefined || message instanceof Error) {
        counters.invalidMessages += 1;
        this.warnLimited('peer-message-invalid', { peer: link.peerId, reason: message?.message });
      } else if (message.from !== link.peerId || message.to !== this.nodeId)
        counters.misaddressedMessages += 1;
      else accepted.push(message);
    }
    counters.messagesReceived += accepted.length;
    if (accepted.length === 0) return;
    try {
      this.options.onMessages(link.peerId, accepted);
    } catch (error) {
      this.logger.warn('peer-on-messages-threw', { peer: link.peerId, error: String(error) });
    }
  }

  // ---- sending ----

  private scheduleDrain(link: PeerLink): void {
    if (link.drainScheduled || link.socket === undefined) return;
    link.drainScheduled = true;
    setImmediate(() => {
      link.drainScheduled = false;
      this.drain(link);
    });
  }

  private drain(link: PeerLink): void {
    const socket = link.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return;
    const queue = link.queue;
    while (queue.count > 0 && socket.bufferedAmount < socketBufferedBytesHigh) {
      const batch: Message[] = [];
      let bytes = 0;
      while (
        queue.count > 0 &&
        (batch.length === 0 || bytes + (queue.peekSize() as number) <= frameBytesTarget)
      ) {
        bytes += queue.peekSize() as number;
        batch.push(queue.shift() as Message);
      }
      this.sendFrame(link, socket, batch);
    }
  }

  private sendFrame(link: PeerLink, socket: WebSocket, batch: Message[]): void {
    const frame = encodeMessagesFrame(batch, this.allocateFrame);
    if (frame.byteLength > this.frameBytesMax) {
      this.framePool.release(frame);
      if (batch.length === 1) {
        link.counters.droppedOversize += 1;
        return;
      }
      const half = batch.length >> 1;
      this.sendFrame(link, socket, batch.slice(0, half));
      this.sendFrame(link, socket, batch.slice(half));
      return;
    }
    link.counters.framesSent += 1;
    link.counters.messagesSent += batch.length;
    for (const message of batch)
      if (message.type === MessageType.Append) link.counters.entriesSent += message.entries.length;
    link.counters.bytesSent += frame.byteLength;
    socket.send(frame, { binary: true }, () => {
      // Written (or the socket failed): nothing reads the frame any more.
      this.framePool.release(frame);
      if (link.queue.count > 0) this.scheduleDrain(link);
    });
  }

  // ---- guards, liveness, bookkeeping ----

  /**
   * Bounds a connection until it authenticates: a byte budget on the raw socket and a
   * deadline. Returns the function that lifts both once the peer proved itself.
   */
  private guardHandshake(
    socket: WebSocket,
    raw: Socket | undefined,
    remote: string,
    role: 'acceptor' | 'dialer',
  ): () => void {
    let bytes = 0;
    this.unauthenticated.add(socket);
    if (role === 'acceptor') this.inboundPending.add(socket);
    const onData = (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes > unauthenticatedBytesMax)
        this.authFailed(socket, remote, role, undefined, 'too many bytes before authenticating');
    };
    raw?.on('data', onData);
    const timer = setTimeout(
      () => this.authFailed(socket, remote, role, undefined, 'handshake timed out'),
      this.handshakeTimeoutMs,
    );
    timer.unref();
    const release = () => {
      raw?.off('data', onData);
      clearTimeout(timer);
      this.unauthenticated.delete(socket);
      this.inboundPending.delete(socket);
    };
    socket.once('close', release);
    return release;
  }

  private authFailed(
    socket: WebSocket,
    remote: string,
    role: 'acceptor' | 'dialer',
    claimedId: NodeId | undefined,
    reason: string,
  ): void {
    this.counters.authFailures += 1;
    this.warnLimited('peer-auth-failed', { nodeId: this.nodeId, role, remote, claimedId, reason });
    socket.terminate();
  }

  /** Logs at most `warningsPerSecondMax` warnings a second, so bad input cannot flood logs. */
  private warnLimited(event: string, fields: Record<string, unknown>): void {
    const second = Math.floor(performance.now() / 1000);
    if (this.warnings.second !== second)
      this.warnings = { second, count: 0, suppressed: this.warnings.suppressed };
    this.warnings.count += 1;
    if (this.warnings.count > warningsPerSecondMax) {
      this.warnings.suppressed += 1;
      return;
    }
    this.logger.warn(event, { ...fields, suppressedBefore: this.warnings.suppressed });
  }

  private pingAll(): void {
    for (const link of this.links.values()) {
      const socket = link.socket;
      if (socket === undefined) continue;
      if (!link.alive) {
        this.logger.warn('peer-unresponsive', { nodeId: this.nodeId, peer: link.peerId });
        socket.terminate();
        continue;
      }
      link.alive = false;
      socket.ping();
    }
  }

  private newLink(peerId: NodeId, url: string | undefined): PeerLink {
    const queue = new SendQueue(
      this.options.queueMessagesMax ?? queueMessagesMaxDefault,
      this.options.queueBytesMax ?? queueBytesMaxDefault,
      frameBytesTarget,
    );
    const backoff = new Backoff(
      this.random,
      reconnectDelayMsMin,
      this.options.reconnectDelayMsMax ?? reconnectDelayMsMaxDefault,
    );
    const link = new PeerLink(peerId, url, peerId > this.nodeId, queue, backoff);
    this.links.set(peerId, link);
    return link;
  }

  private shutLink(link: PeerLink): void {
    link.state = 'closed';
    clearTimeout(link.reconnectTimer);
    link.reconnectTimer = undefined;
    link.pending?.terminate();
    link.socket?.terminate();
    link.queue.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw new TransportError('CLOSED', 'the transport is closed');
  }
}

function checkOptions(options: PeerTransportOptions): void {
  const { nodeId, secret } = options;
  if (!Number.isSafeInteger(nodeId) || nodeId < 1) {
    throw new TransportError('INVALID_CONFIG', `node id ${nodeId} must be a positive integer`);
  }
  if (Buffer.from(secret).byteLength < secretBytesMin) {
    throw new TransportError(
      'INVALID_CONFIG',
      `the cluster secret must have at least ${secretBytesMin} bytes`,
    );
  }
  for (const [peerId, url] of options.peers) checkPeer(nodeId, peerId, url);
}

function checkPeer(nodeId: NodeId, peerId: NodeId, url: string): void {
  if (!Number.isSafeInteger(peerId) || peerId < 1 || peerId === nodeId) {
    throw new TransportError('INVALID_CONFIG', `peer id ${peerId} is not a valid other node`);
  }
  if (!/^wss?:\/\//.test(url))
    throw new TransportError('INVALID_CONFIG', `peer URL ${url} is not ws:// or wss://`);
}
