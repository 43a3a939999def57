/**
 * A minimal client of the wire protocol for broker-to-broker calls (registration,
 * heartbeats, producer-id blocks sent to the controller leader). The broker must not
 * depend on the client library, and it needs only this: one connection per address,
 * pipelined requests, a timeout per request.
 */
import {
  type Api,
  checkResponseBody,
  decodeResponseHead,
  ErrorCode,
  encodeRequest,
  errorFromCode,
  ProtocolError,
  type RequestOf,
  type ResponseOf,
} from '@tributary/protocol';
import WebSocket from 'ws';

interface Pending {
  readonly api: Api;
  resolve(body: unknown): void;
  reject(error: unknown): void;
  readonly timer: NodeJS.Timeout;
}

class Connection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly opened: Promise<void>;
  private closed = false;

  constructor(readonly url: string) {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket = socket;
    this.opened = new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (error) => reject(error));
    });
    this.opened.catch(() => {});
    socket.on('message', (data) => this.onMessage(data as Buffer));
    socket.on('error', () => {});
    socket.on('close', () =>
      this.fail(new ProtocolError(ErrorCode.NetworkException, `connection to ${url} closed`)),
    );
  }
  private readonly socket: WebSocket;

  get isClosed(): boolean {
    return this.closed;
  }

  private onMessage(data: Buffer): void {
    let head: ReturnType<typeof decodeResponseHead>;
    try {
      head = decodeResponseHead(data);
    } catch (error) {
      this.socket.terminate();
      this.fail(error);
      return;
    }
    const pending = this.pending.get(head.correlationId);
    if (!pending) return;
    this.pending.delete(head.correlationId);
    clearTimeout(pending.timer);
    if (head.errorCode !== 0)
      pending.reject(errorFromCode(head.errorCode, head.message ?? undefined));
    else {
      try {
        pending.resolve(checkResponseBody(pending.api, head.body));
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  private fail(error: unknown): void {
    this.closed = true;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }

  async request<A extends Api>(
    api: A,
    body: RequestOf<A>,
    timeoutMs: number,
  ): Promise<ResponseOf<A>> {
    await this.opened;
    const correlationId = this.nextId++;
    return new Promise<ResponseOf<A>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(
          new ProtocolError(
            ErrorCode.RequestTimedOut,
            `no answer from ${this.url} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(correlationId, {
        api,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer,
      });
      this.socket.send(encodeRequest({ correlationId, api, version: 1, body }));
    });
  }

  close(): void {
    this.closed = true;
    this.socket.terminate();
  }
}

export class InternalClient {
  private readonly connections = new Map<string, Connection>();

  async request<A extends Api>(
    address: string,
    api: A,
    body: RequestOf<A>,
    timeoutMs = 5000,
  ): Promise<ResponseOf<A>> {
    let connection = this.connections.get(address);
    if (!connection || connection.isClosed) {
      connection = new Connection(`ws://${address}`);
      this.connections.set(address, connection);
    }
    try {
      return await connection.request(api, body, timeoutMs);
    } catch (error) {
      if (connection.isClosed) this.connections.delete(address);
      throw error;
    }
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
