/**
 * A TCP proxy for one directed node pair (from → to): node `from` connects to this proxy
 * instead of to `to`, and the proxy forwards bytes both ways. The owner decides, per
 * direction, whether bytes may flow:
 *
 * - both directions cut: existing connections are reset and new ones are reset on accept,
 *   so the peers see a dead link and must reconnect after the heal;
 * - one direction cut: the connection stays up; bytes in the cut direction are held
 *   (reading from the sender stops, so TCP backpressure builds as on a lossy path) and
 *   delivered at the heal, or dropped, in which case the connection is reset at the heal
 *   because its byte stream now has a hole.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { assert } from '../assert.ts';
import { proxyHeldBytesMax } from '../limits.ts';

export interface Address {
  readonly host: string;
  readonly port: number;
}

export type OneWayMode = 'hold' | 'drop';

export interface LinkPolicy {
  /** Whether bytes from `from` to `to` may flow now. */
  blocked(from: string, to: string): boolean;
  readonly oneWayMode: OneWayMode;
}

interface Direction {
  readonly source: Socket;
  readonly sink: Socket;
  readonly blocked: () => boolean;
  held: Buffer[];
  heldBytes: number;
  /** Bytes were dropped: the stream is broken and the connection must be reset at the heal. */
  tainted: boolean;
  ended: boolean;
  waitingForDrain: boolean;
}

export class LinkProxy {
  private readonly server: Server;
  private readonly connections = new Set<ProxiedConnection>();
  /** Counters for tests and diagnostics. */
  readonly stats = { accepted: 0, refused: 0, reset: 0 };

  constructor(
    readonly from: string,
    readonly to: string,
    private readonly resolveTarget: () => Address | undefined,
    private readonly policy: LinkPolicy,
  ) {
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  async listen(host: string): Promise<Address> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    assert(typeof address === 'object' && address !== null, 'a TCP server has an address');
    return { host: address.address, port: address.port };
  }

  private fullyCut(): boolean {
    return this.policy.blocked(this.from, this.to) && this.policy.blocked(this.to, this.from);
  }

  private accept(client: Socket): void {
    const target = this.resolveTarget();
    if (this.fullyCut() || target === undefined) {
      this.stats.refused++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    const connection = new ProxiedConnection(this, client, target, this.policy);
    this.connections.add(connection);
    connection.onClose = () => this.connections.delete(connection);
  }

  /** Re-evaluates every connection after the cut set changed. */
  apply(): void {
    const fullyCut = this.fullyCut();
    for (const connection of [...this.connections]) {
      if (fullyCut || connection.brokenAndHealed()) {
        this.stats.reset++;
        connection.reset();
      } else connection.flow();
    }
  }

  async close(): Promise<void> {
    for (const connection of [...this.connections]) connection.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

class ProxiedConnection {
  onClose: () => void = () => {};
  private readonly upstream: Socket;
  private readonly forward: Direction;
  private readonly backward: Direction;
  private closed = false;

  constructor(
    proxy: LinkProxy,
    private readonly client: Socket,
    target: Address,
    private readonly policy: LinkPolicy,
  ) {
    client.pause(); // nothing flows until the upstream connection is up
    this.upstream = tcpConnect({ host: target.host, port: target.port, allowHalfOpen: true });
    this.upstream.pause();
    const direction = (source: Socket, sink: Socket, from: string, to: string): Direction => ({
      source,
      sink,
      blocked: () => policy.blocked(from, to),
      held: [],
      heldBytes: 0,
      tainted: false,
      ended: false,
      waitingForDrain: false,
    });
    this.forward = direction(client, this.upstream, proxy.from, proxy.to);
    this.backward = direction(this.upstream, client, proxy.to, proxy.from);
    this.upstream.once('connect', () => this.flow());
    for (const d of [this.forward, this.backward]) this.wire(d, policy.oneWayMode);
  }

  private wire(d: Direction, mode: OneWayMode): void {
    d.source.on('data', (chunk: Buffer) => {
      if (d.blocked()) {
        if (mode === 'drop') {
          d.tainted = true;
          return;
        }
        d.held.push(chunk);
        d.heldBytes += chunk.length;
        d.source.pause();
        if (d.heldBytes > proxyHeldBytesMax) this.reset();
        return;
      }
      this.write(d, chunk);
    });
    d.source.on('end', () => {
      d.ended = true;
      this.flow();
    });
    d.source.on('error', () => this.reset());
    // A graceful close has already passed its end on (flow); an abrupt one resets the other side.
    d.source.on('close', (hadError: boolean) => {
      if (hadError) this.reset();
      else if (this.client.destroyed && this.upstream.destroyed) this.finish();
    });
  }

  private write(d: Direction, chunk: Buffer): void {
    if (!d.sink.write(chunk) && !d.waitingForDrain) {
      d.waitingForDrain = true;
      d.source.pause();
      d.sink.once('drain', () => {
        d.waitingForDrain = false;
        this.flow();
      });
    }
  }

  /** Lets bytes flow in every direction that is not cut: held bytes first, then reading. */
  flow(): void {
    if (this.closed || this.upstream.connecting) return;
    for (const d of [this.forward, this.backward]) {
      if (d.blocked()) {
        // Dropping means reading and discarding; holding means not reading (backpressure).
        if (this.policy.oneWayMode === 'drop') d.source.resume();
        continue;
      }
      while (d.held.length > 0 && !d.waitingForDrain) {
        const chunk = d.held.shift()!;
        d.heldBytes -= chunk.length;
        this.write(d, chunk);
      }
      if (d.held.length > 0 || d.waitingForDrain) continue;
      if (d.ended) d.sink.end();
      else d.source.resume();
    }
  }

  brokenAndHealed(): boolean {
    return [this.forward, this.backward].some((d) => d.tainted && !d.blocked());
  }

  reset(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.client, this.upstream]) {
      socket.on('error', () => {});
      if (socket.destroyed) continue;
      // A reset while a graceful shutdown (end()) is pending can leave the native handle
      // referenced at process exit: a test worker of CI once spun in Node's handle cleanup
      // after all its tests had passed. Such a socket is destroyed without the RST.
      if (socket.connecting || socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    this.onClose();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
